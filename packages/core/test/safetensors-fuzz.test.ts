import { describe, expect, it } from 'vitest';
import { runFuzz, targets } from '../../../tools/fuzz-kit.mjs';
import { decodeSafetensors, entryToTypedArray, SafetensorsError } from '../src/io/safetensors.js';

// The bounded run of the parser fuzzing (issue 18); `node tools/fuzz-parsers.mjs --cases 100000`
// is the long one. FUZZ_CASES / FUZZ_SEED replay another run.
const CASES = Number(process.env.FUZZ_CASES ?? 3000);
const SEED = Number(process.env.FUZZ_SEED ?? 18);

describe('fuzzing decodeSafetensors (seeded: valid files, their mutations, hostile headers)', () => {
  it(`${CASES} cases each end in a valid result or a SafetensorsError, under 1 s and the allocation cap`, async () => {
    const [target] = targets({ decodeSafetensors, entryToTypedArray, SafetensorsError });
    const s = await runFuzz(target!, { seed: SEED, to: CASES, slowMs: 1000 });
    // Examples first: on failure they say which case (replay it with caseRng(SEED, i)) and why.
    expect(s.examples).toEqual([]);
    expect({ crashes: s.crashes, slow: s.slow, overCap: s.overCap }).toEqual({
      crashes: 0,
      slow: 0,
      overCap: 0,
    });
    // The generator reaches both outcomes in earnest.
    expect(s.valid).toBeGreaterThan(CASES * 0.2);
    expect(s.clean).toBeGreaterThan(CASES * 0.5);
  }, 60_000);
});
