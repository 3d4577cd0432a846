import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, '..', 'fixtures');
export const fixtureBytes = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
export const fixtureText = (name: string) => readFileSync(join(dir, name), 'utf8');
// biome-ignore lint/suspicious/noExplicitAny: JSON fixtures
export const fixture = (name: string): any => JSON.parse(fixtureText(name));

/** max |a − b| over two arrays of the same length (throws when the lengths differ). */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxDiff: lengths ${a.length} and ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
