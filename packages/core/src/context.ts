import type { Tensor } from './tensor.js';

/**
 * The ambient state an op consults: the innermost memory scope and whether autograd records.
 *
 * Where `AsyncLocalStorage` exists (Node, Deno, Bun), the state follows each async call chain, so a
 * `scope(async () => …)` keeps owning what it allocates after an `await`, even while other scopes run
 * concurrently. Elsewhere (browsers, until `AsyncContext` ships) a plain stack is used: sequential
 * async scopes work; concurrently interleaved async scopes may attribute tensors to the wrong scope.
 */
export interface Context {
  readonly scope: Scope | null;
  readonly gradEnabled: boolean;
}

export class Scope {
  readonly tracked = new Set<Tensor>();
  constructor(readonly parent: Scope | null) {}
}

interface AsyncStore<T> {
  getStore(): T | undefined;
  run<R>(store: T, fn: () => R): R;
}

type AlsCtor = new <T>() => AsyncStore<T>;

function findAsyncLocalStorage(): AlsCtor | null {
  const g = globalThis as {
    AsyncLocalStorage?: AlsCtor;
    process?: { getBuiltinModule?: (id: string) => { AsyncLocalStorage?: AlsCtor } | undefined };
  };
  if (g.AsyncLocalStorage) return g.AsyncLocalStorage;
  try {
    return g.process?.getBuiltinModule?.('node:async_hooks')?.AsyncLocalStorage ?? null;
  } catch {
    return null;
  }
}

const ROOT: Context = { scope: null, gradEnabled: true };
const Als = findAsyncLocalStorage();
const als = Als ? new Als<Context>() : null;
let stackTop: Context = ROOT;

export function currentContext(): Context {
  return als ? (als.getStore() ?? ROOT) : stackTop;
}

/** Run `fn` with `ctx` as the ambient context; for a promise, the context lasts until it settles. */
export function runWithContext<R>(ctx: Context, fn: () => R): R {
  if (als) return als.run(ctx, fn);
  const saved = stackTop;
  stackTop = ctx;
  let result: R;
  try {
    result = fn();
  } catch (e) {
    stackTop = saved;
    throw e;
  }
  if (isPromiseLike(result)) {
    return (result as unknown as Promise<unknown>).finally(() => {
      stackTop = saved;
    }) as unknown as R;
  }
  stackTop = saved;
  return result;
}

export function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

export const hasAsyncContext = als !== null;
