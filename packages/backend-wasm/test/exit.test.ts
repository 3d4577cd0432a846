import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

/*
 * The worker pool must never keep Node running: a script that starts a threaded backend (and runs
 * a split kernel) ends on its own, with or without dispose().
 */
describe('wasm worker threads and process exit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-wasm-exit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function script(body: string): Promise<string> {
    const entry = join(dir, `entry-${Math.random().toString(36).slice(2)}.ts`);
    const src = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    writeFileSync(
      entry,
      `import { wasmBackend } from ${JSON.stringify(src)};\nimport * as m from '@myelin/core';\n${body}`,
    );
    const out = `${entry}.mjs`;
    await build({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      platform: 'node',
      outfile: out,
      logLevel: 'silent',
      nodePaths: [fileURLToPath(new URL('../node_modules', import.meta.url))],
    });
    return out;
  }

  for (const [name, body] of [
    ['without dispose()', ''],
    ['after dispose()', 'backend.dispose();'],
  ] as const) {
    it(`a script with a 2-thread backend exits by itself ${name}`, async () => {
      const file = await script(`
const backend = await wasmBackend({ threads: 2 });
await m.use(backend);
const a = m.ones([300, 300]);
console.log(backend.threads, a.matmul(a).dataSync()[0]);
${body}`);
      const r = spawnSync(process.execPath, [file], { timeout: 20_000, encoding: 'utf8' });
      expect(r.error).toBeUndefined();
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe('2 300');
    }, 30_000);
  }
});
