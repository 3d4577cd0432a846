/**
 * docs/canon-coverage.md names Myelin exports for every building block of the textbooks; this
 * checks that each one exists in the built packages (tools/check-canon-coverage.mjs imports
 * core, nn, optim, data, train and the zoos from their dist — this package depends on all of them,
 * so turbo builds them first), so the table cannot lie.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const script = join(root, 'tools', 'check-canon-coverage.mjs');

interface Report {
  rows: number;
  names: number;
  missing: string[];
  malformed: string[];
}

function check(table?: string): { status: number | null; report: Report; stderr: string } {
  const r = spawnSync(process.execPath, table ? [script, table] : [script], { cwd: root, encoding: 'utf8' });
  const last = r.stdout.trim().split('\n').pop() ?? '{}';
  return { status: r.status, report: JSON.parse(last) as Report, stderr: r.stderr };
}

describe('the canon coverage table', () => {
  it('names only exports that exist, in well-formed rows', () => {
    const { status, report, stderr } = check();
    expect(report.malformed).toEqual([]);
    expect(report.missing).toEqual([]);
    expect(status, stderr).toBe(0);
    // every section of the table is there: layers to derivatives, ~200 building blocks
    expect(report.rows).toBeGreaterThanOrEqual(180);
    expect(report.names).toBeGreaterThanOrEqual(400);
  }, 60_000);

  it('the checker fails on a name that does not exist and on a cell that is not a name list', () => {
    const dir = mkdtempSync(join(tmpdir(), 'canon-'));
    const table = join(dir, 'table.md');
    writeFileSync(
      table,
      [
        '| Building block | Source | Myelin | PyTorch 1.13 | Notes |',
        '| --- | --- | --- | --- | --- |',
        '| Real | A | `nn.Linear`, `nn.init.xavierUniform` | nn.Linear | |',
        '| Invented | A | `nn.NoSuchLayer` | — | |',
        '| Nested invented | A | `nn.init.noSuchInit` | — | |',
        '| Prose | A | a Linear layer | — | |',
        '| Gap | A | — | — | |',
      ].join('\n'),
    );
    try {
      const { status, report } = check(table);
      expect(status).toBe(1);
      expect(report.rows).toBe(5);
      expect(report.missing).toEqual([
        'line 4: nn.NoSuchLayer is not exported by @myelin/nn',
        'line 5: nn.init.noSuchInit is not exported by @myelin/nn',
      ]);
      expect(report.malformed).toEqual([
        'line 6 (Prose): Myelin cell entry "a Linear layer" is not `package.export`',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
