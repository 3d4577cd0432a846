// Types of fuzz-kit.mjs, for the TypeScript test suites that import it.

export interface Rng {
  next(): number;
  int(n: number): number;
  chance(p: number): boolean;
  pick<T>(xs: readonly T[]): T;
  bytes(n: number): Uint8Array;
}
export function makeRng(seed: number): Rng;
export function caseRng(seed: number, i: number): Rng;
export function mutateBytes(r: Rng, bytes: Uint8Array, tokens?: readonly string[]): Uint8Array;

export interface FuzzCase {
  kind: string;
  input: Uint8Array | string;
  options?: object;
  expect?: unknown;
}
export function safetensorsCase(r: Rng): FuzzCase;
export function idxRawCase(r: Rng): FuzzCase;
export function idxGzipCase(r: Rng): FuzzCase;
export function csvCase(r: Rng): FuzzCase;

export interface FuzzTarget {
  name: string;
  make(r: Rng, i: number): FuzzCase;
  run(c: FuzzCase, i: number): unknown;
  check?(result: unknown, c: FuzzCase): string | null;
  isClean(error: unknown): boolean;
  capBytes(c: FuzzCase): number;
}

export interface FuzzStats {
  parser: string;
  cases: number;
  valid: number;
  clean: number;
  crashes: number;
  slow: number;
  overCap: number;
  maxCaseMs: number;
  maxGrowthBytes: number;
  examples: { what: string; case: number; kind: string; message: string }[];
}
export function runFuzz(
  target: FuzzTarget,
  options: { seed: number; from?: number; to: number; slowMs?: number; onCase?: (i: number) => void },
): Promise<FuzzStats>;

export function cleanError(
  error: unknown,
  Class: abstract new (...args: never[]) => Error,
  prefix: RegExp,
): boolean;

/** The parsers under test; a target is made for each one given. */
export interface FuzzParsers {
  decodeSafetensors?: (bytes: Uint8Array) => {
    tensors: Record<string, unknown>;
    metadata: Record<string, string>;
  };
  entryToTypedArray?: (entry: never, name?: string) => unknown;
  SafetensorsError?: abstract new (...args: never[]) => Error;
  parseIdx?: (bytes: Uint8Array) => unknown;
  decodeIdx?: (bytes: Uint8Array, options?: { maxBytes?: number }) => Promise<unknown>;
  readIdx?: (path: string, options?: { maxBytes?: number }) => Promise<unknown>;
  readIdxSync?: (path: string, options?: { maxBytes?: number }) => unknown;
  IdxError?: abstract new (...args: never[]) => Error;
  parseCsv?: (
    text: string,
    options?: never,
  ) => { columns: string[]; types: string[]; column(n: string): unknown; toFloat32(): unknown };
  CsvError?: abstract new (...args: never[]) => Error;
  tmpFile?: (bytes: Uint8Array) => string;
}
export function targets(parsers: FuzzParsers): FuzzTarget[];
