import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/*
 * Core's modules form a tree (issue #19): no module reaches itself through the imports that run
 * (type-only imports and exports are erased by the compiler and cannot cycle at run time). The
 * graph is read from the sources: every `import … from './x.js'` and `export … from './x.js'`
 * that is not `import type` / `export type`.
 */

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../core/src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Value imports of one module: relative specifiers of imports and re-exports not marked `type`. */
export function valueImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^(import|export)\s+(type\s+)?([^;]*?)\s*from\s*'(\.[^']+)'/gms;
  for (const m of text.matchAll(re)) {
    if (m[2]) continue;
    // `import { type A, type B } from` imports nothing at run time either.
    const names = m[3]!
      .replace(/^\{|\}$/g, '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (m[3]!.startsWith('{') && names.every((n) => n.startsWith('type '))) continue;
    const target = resolve(dirname(file), m[4]!.replace(/\.js$/, '.ts'));
    // A module's namespace import of itself (ops/elementwise.ts hands its own ops to the unary
    // table's rules) links no two modules.
    if (target !== file) out.push(target);
  }
  return out;
}

/** Every cycle found by a depth-first walk, each as the list of files around it. */
export function findCycles(files: readonly string[]): string[][] {
  const graph = new Map(files.map((f) => [f, valueImports(f).filter((g) => files.includes(g))]));
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === 'open') cycles.push([...stack.slice(stack.indexOf(g)), g]);
      else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return cycles.map((c) => c.map((f) => relative(SRC, f)));
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A throwaway source folder: file name → text. */
function fixture(files: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'import-cycles-'));
  made.push(dir);
  return Object.entries(files).map(([name, text]) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  });
}

describe("core's import graph", () => {
  it('sees a cycle when there is one (the check can fail)', () => {
    expect(valueImports(join(SRC, 'index.ts')).length).toBeGreaterThan(5);
    const cycle = fixture({
      'a.ts': "import { b } from './b.js';\nexport const a = () => b();\n",
      'b.ts': "import {\n  type X,\n  c,\n} from './c.js';\nexport const b = () => c();\n",
      'c.ts': "export { a } from './a.js';\nexport const c = () => 1;\n",
    });
    expect(findCycles(cycle).map((c) => c.map((f) => basename(f)))).toEqual([
      ['a.ts', 'b.ts', 'c.ts', 'a.ts'],
    ]);
  });

  it('ignores imports erased by the compiler and a module importing itself', () => {
    const erased = fixture({
      'a.ts':
        "import * as self from './a.js';\nimport { b } from './b.js';\nexport const a = () => b(self);\n",
      'b.ts':
        "import type { a } from './a.js';\nexport type { a } from './a.js';\nimport { type a as A } from './a.js';\nexport const b = (x: unknown) => x;\n",
    });
    expect(findCycles(erased)).toEqual([]);
  });

  it('has no cycle at all in core', () => {
    expect(findCycles(sources(SRC))).toEqual([]);
  });
});
