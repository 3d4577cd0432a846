import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runFuzz, targets } from '../../../tools/fuzz-kit.mjs';
import { CsvError, decodeIdx, IdxError, parseCsv, parseIdx } from '../src/index.js';
import { readIdx, readIdxSync } from '../src/node/index.js';

// The bounded run of the parser fuzzing (issue 18); `node tools/fuzz-parsers.mjs --cases 100000`
// is the long one. FUZZ_CASES / FUZZ_SEED replay another run.
// Gzip cases cost ~3 ms each (zlib streams, bombs inflating a MiB), so fewer of them.
const DEFAULT_CASES: Record<string, number> = { 'idx-raw': 3000, 'idx-gzip': 1000, csv: 2000 };
const casesFor = (name: string) => Number(process.env.FUZZ_CASES ?? DEFAULT_CASES[name] ?? 1000);
const SEED = Number(process.env.FUZZ_SEED ?? 18);

const tmp = mkdtempSync(join(tmpdir(), 'myelin-fuzz-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const tmpFile = (bytes: Uint8Array) => {
  const p = join(tmp, 'case');
  writeFileSync(p, bytes);
  return p;
};

const all = targets({ parseIdx, decodeIdx, readIdx, readIdxSync, IdxError, parseCsv, CsvError, tmpFile });

describe('fuzzing the IDX and CSV readers (seeded: valid files, mutations, hostile headers, gzip bombs)', () => {
  for (const target of all) {
    const CASES = casesFor(target.name);
    it(`${target.name}: ${CASES} cases each end in a valid result or the format's error, under 1 s and the allocation cap`, async () => {
      const s = await runFuzz(target, { seed: SEED, to: CASES, slowMs: 1000 });
      expect(s.examples).toEqual([]);
      expect({ crashes: s.crashes, slow: s.slow, overCap: s.overCap }).toEqual({
        crashes: 0,
        slow: 0,
        overCap: 0,
      });
      expect(s.valid).toBeGreaterThan(CASES * 0.1);
      expect(s.clean).toBeGreaterThan(CASES * 0.1);
    }, 60_000);
  }
});
