import { type Backend, registeredBackends, use } from '@myelin/core';
import { BACKENDS, unknown } from './models.js';

/** What --backend accepts. */
export const BACKEND_CHOICES = ['best', ...BACKENDS] as const;

/**
 * Import a backend package by name and make it the active backend. 'best' tries wasm, then cpu:
 * in Node, webgpu runs only when asked for (`--backend webgpu`), since without a GPU Dawn falls
 * back to a software renderer that is far slower than wasm.
 */
export async function selectBackend(name: string): Promise<Backend> {
  if (name === 'best') {
    const errors: string[] = [];
    for (const b of ['wasm', 'cpu']) {
      try {
        return await selectBackend(b);
      } catch (e) {
        errors.push(`${b}: ${(e as Error).message}`);
      }
    }
    throw new Error(`no backend could start (${errors.join('; ')})`);
  }
  if (!(BACKENDS as readonly string[]).includes(name)) throw unknown('backend', name, [...BACKENDS, 'best']);
  const pkg = `@myelin/backend-${name}`;
  try {
    await import(pkg);
  } catch (e) {
    throw new Error(
      `backend '${name}' needs the package ${pkg}, which could not be loaded: ${(e as Error).message}`,
    );
  }
  if (!registeredBackends().includes(name))
    throw new Error(`${pkg} did not register a backend named '${name}'`);
  return use(name);
}
