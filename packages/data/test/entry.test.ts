import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Every module specifier reachable from `entry` through relative imports (a static walk of the sources). */
function reachableImports(entry: string): { files: string[]; external: Set<string> } {
  const seen = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    // Static imports and re-exports at the start of a line (not in doc comments), and dynamic imports.
    const specs = /^(?:import|export)\b[^;]*?from\s+'([^']+)'|^import\s+'([^']+)'|\bimport\(\s*'([^']+)'/gm;
    for (const m of text.matchAll(specs)) {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else external.add(spec);
    }
  };
  visit(entry);
  return { files: [...seen], external };
}

describe('entry points', () => {
  it('@myelin/data (browser-safe) reaches no Node built-in; only @myelin/core', () => {
    const { files, external } = reachableImports(join(src, 'index.ts'));
    expect([...external]).toEqual(['@myelin/core']);
    expect(files.some((f) => f.includes(`${join('src', 'node')}`))).toBe(false);
    for (const f of files) expect(readFileSync(f, 'utf8')).not.toMatch(/\bprocess\.|\brequire\(|\bBuffer\./);
  });

  it('@myelin/data/node adds the Node built-ins it needs', () => {
    const { external } = reachableImports(join(src, 'node', 'index.ts'));
    expect([...external].filter((s) => s.startsWith('node:')).sort()).toEqual([
      'node:child_process',
      'node:crypto',
      'node:fs',
      'node:fs/promises',
      'node:module',
      'node:os',
      'node:path',
      'node:readline',
      'node:url',
      'node:util',
      'node:zlib',
    ]);
  });
});
