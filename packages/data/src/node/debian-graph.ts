import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { tensor } from '@myelin/core';
import { Graph } from '../graph.js';
import { DatasetValidationError } from '../image-set.js';

/**
 * Debian's package dependency graph (Debian 12 "bookworm", main, amd64; with bookworm-updates and
 * bookworm-security), snapshot by `tools/snapshot-debian-graph.mjs` from `apt-cache dumpavail`
 * into `packages/data/assets/debian-bookworm-packages.graph.json.gz` (committed, SHA-256 checked
 * on every read).
 *
 * - 63,697 packages as nodes, sorted by name;
 * - 245,210 directed edges `a → b` when `a` Depends or Pre-Depends on `b` (the first alternative
 *   of `b | c` that is a real package; virtual names, versions and `:any` qualifiers dropped);
 * - the section as the label (54 sections; `contrib/`/`non-free/` prefixes stripped, sections
 *   with fewer than 50 packages merged into `other`);
 * - a binary bag of words of the short description (`Description:` line; the long descriptions
 *   are not in the apt lists the snapshot was made from) over the 1,000 most frequent words
 *   (document frequency ≥ 5, stop words dropped).
 */

/** The snapshot's file name in `packages/data/assets/`. */
export const DEBIAN_GRAPH_FILE = 'debian-bookworm-packages.graph.json.gz';
/** The SHA-256 of the committed snapshot (printed by `tools/snapshot-debian-graph.mjs`). */
export const DEBIAN_GRAPH_SHA256 = 'f87371f9d47bf7261a3e0d473cf3d4e8443b2f447a6a07f054e30e32cfb2bb50';
/** Its size in bytes. */
export const DEBIAN_GRAPH_BYTES = 1_217_809;
const FORMAT = 'myelin-debian-graph/1';

/** The snapshot decoded into plain arrays (no tensors): what `loadDebianPackageGraph` builds on. */
export interface DebianGraphArrays {
  numNodes: number;
  /** Package names, sorted; node i is `names[i]`. */
  names: string[];
  /** Section names, sorted; `section[i]` indexes it. */
  sections: string[];
  /** Section id per node. */
  section: Int32Array;
  /** The bag-of-words vocabulary, most frequent first. */
  vocabulary: string[];
  /** Edge e: `src[e]` depends on `dst[e]`; sorted by (src, dst). */
  src: Int32Array;
  dst: Int32Array;
  /** Node i's word ids are `wordIds[wordOffsets[i] .. wordOffsets[i+1])`, sorted, distinct. */
  wordOffsets: Int32Array;
  wordIds: Int32Array;
}

export interface LoadDebianGraphOptions {
  /** Read the snapshot from this file instead of the committed one (its hash is still checked). */
  path?: string;
  /** Keep only the first `vocabulary` words (the most frequent ones; default all 1,000). */
  vocabulary?: number;
  /**
   * Keep only `maxNodes` packages: the most depended-upon ones (in-degree, ties by name), with
   * the edges among them; names stay sorted. Default: all.
   */
  maxNodes?: number;
}

/** Where the committed snapshot is, from the source tree (`src/node/`) or the build (`dist/`). */
export function debianGraphPath(): string {
  const candidates = [`../../assets/${DEBIAN_GRAPH_FILE}`, `../assets/${DEBIAN_GRAPH_FILE}`].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new DatasetValidationError(
      `loadDebianPackageGraph: the snapshot ${DEBIAN_GRAPH_FILE} is not at ${candidates.join(' or ')}; ` +
        'make it with `node tools/snapshot-debian-graph.mjs` (needs apt-cache) or pass { path }',
    );
  }
  return found;
}

function intArray(value: unknown, field: string, source: string): Int32Array {
  if (!Array.isArray(value) || !value.every((v) => Number.isInteger(v)))
    throw new DatasetValidationError(`decodeDebianGraph: ${source}: '${field}' is not an array of integers`);
  return Int32Array.from(value as number[]);
}

function stringArray(value: unknown, field: string, source: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new DatasetValidationError(`decodeDebianGraph: ${source}: '${field}' is not an array of strings`);
  return value as string[];
}

function checkOffsets(offsets: Int32Array, n: number, total: number, field: string, source: string): void {
  if (offsets.length !== n + 1 || offsets[0] !== 0 || offsets[n] !== total)
    throw new DatasetValidationError(
      `decodeDebianGraph: ${source}: '${field}' must have ${n + 1} entries from 0 to ${total}`,
    );
  for (let i = 0; i < n; i++)
    if (offsets[i + 1]! < offsets[i]!)
      throw new DatasetValidationError(`decodeDebianGraph: ${source}: '${field}' decreases at ${i}`);
}

/**
 * Decode the snapshot's bytes (gzipped JSON, see `tools/snapshot-debian-graph.mjs`), checking its
 * SHA-256 first (`sha256: null` skips that, for files made by hand) and every index range after.
 *
 * @throws DatasetValidationError naming the source and what is wrong
 */
export function decodeDebianGraph(
  bytes: Uint8Array,
  options: { sha256?: string | null; source?: string } = {},
): DebianGraphArrays {
  const source = options.source ?? 'snapshot';
  const expected = options.sha256 === undefined ? DEBIAN_GRAPH_SHA256 : options.sha256;
  if (expected !== null) {
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== expected)
      throw new DatasetValidationError(
        `decodeDebianGraph: ${source}: SHA-256 ${got} (${bytes.length} bytes) is not the expected ${expected} ` +
          `(${DEBIAN_GRAPH_BYTES} bytes); the file is corrupt or from another snapshot`,
      );
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(gunzipSync(bytes).toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new DatasetValidationError(
      `decodeDebianGraph: ${source}: not gzipped JSON (${(e as Error).message})`,
    );
  }
  if (json.format !== FORMAT)
    throw new DatasetValidationError(
      `decodeDebianGraph: ${source}: format ${JSON.stringify(json.format)}, expected '${FORMAT}'`,
    );
  const names = stringArray(json.names, 'names', source);
  const sections = stringArray(json.sections, 'sections', source);
  const vocabulary = stringArray(json.vocabulary, 'vocabulary', source);
  const section = intArray(json.section, 'section', source);
  const edgeOffsets = intArray(json.edgeOffsets, 'edgeOffsets', source);
  const dst = intArray(json.edgeTargets, 'edgeTargets', source);
  const wordOffsets = intArray(json.wordOffsets, 'wordOffsets', source);
  const wordIds = intArray(json.wordIds, 'wordIds', source);
  const n = names.length;
  if (json.numNodes !== n || section.length !== n)
    throw new DatasetValidationError(
      `decodeDebianGraph: ${source}: ${n} names, ${section.length} sections and numNodes ${String(json.numNodes)} disagree`,
    );
  checkOffsets(edgeOffsets, n, dst.length, 'edgeOffsets', source);
  checkOffsets(wordOffsets, n, wordIds.length, 'wordOffsets', source);
  const inRange = (a: Int32Array, hi: number, field: string) => {
    for (const v of a)
      if (v < 0 || v >= hi)
        throw new DatasetValidationError(
          `decodeDebianGraph: ${source}: '${field}' has ${v}, outside [0, ${hi})`,
        );
  };
  inRange(section, sections.length, 'section');
  inRange(dst, n, 'edgeTargets');
  inRange(wordIds, vocabulary.length, 'wordIds');
  const src = new Int32Array(dst.length);
  for (let i = 0; i < n; i++) src.fill(i, edgeOffsets[i]!, edgeOffsets[i + 1]!);
  return { numNodes: n, names, sections, section, vocabulary, src, dst, wordOffsets, wordIds };
}

/** Keep the `vocabulary` most frequent words and the `maxNodes` most depended-upon packages. */
export function restrictDebianGraph(
  g: DebianGraphArrays,
  options: { vocabulary?: number; maxNodes?: number } = {},
): DebianGraphArrays {
  const v = options.vocabulary ?? g.vocabulary.length;
  const m = options.maxNodes ?? g.numNodes;
  for (const [name, value, hi] of [
    ['vocabulary', v, g.vocabulary.length],
    ['maxNodes', m, g.numNodes],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > hi)
      throw new RangeError(`loadDebianPackageGraph: ${name} must be an integer in [1, ${hi}], got ${value}`);
  }
  let keep: Int32Array;
  if (m === g.numNodes) keep = Int32Array.from({ length: m }, (_, i) => i);
  else {
    const indeg = new Int32Array(g.numNodes);
    for (const d of g.dst) indeg[d]!++;
    const order = Array.from({ length: g.numNodes }, (_, i) => i).sort(
      (a, b) => indeg[b]! - indeg[a]! || a - b,
    );
    keep = Int32Array.from(order.slice(0, m)).sort();
  }
  const newId = new Int32Array(g.numNodes).fill(-1);
  keep.forEach((old, i) => {
    newId[old] = i;
  });
  const src: number[] = [];
  const dst: number[] = [];
  for (let e = 0; e < g.src.length; e++) {
    const s = newId[g.src[e]!]!;
    const d = newId[g.dst[e]!]!;
    if (s >= 0 && d >= 0) {
      src.push(s);
      dst.push(d);
    }
  }
  const wordOffsets = new Int32Array(m + 1);
  const wordIds: number[] = [];
  keep.forEach((old, i) => {
    for (let k = g.wordOffsets[old]!; k < g.wordOffsets[old + 1]!; k++)
      if (g.wordIds[k]! < v) wordIds.push(g.wordIds[k]!);
    wordOffsets[i + 1] = wordIds.length;
  });
  return {
    numNodes: m,
    names: Array.from(keep, (i) => g.names[i]!),
    sections: g.sections,
    section: Int32Array.from(keep, (i) => g.section[i]!),
    vocabulary: g.vocabulary.slice(0, v),
    src: Int32Array.from(src),
    dst: Int32Array.from(dst),
    wordOffsets,
    wordIds: Int32Array.from(wordIds),
  };
}

/** The (N, V) binary bag-of-words matrix, row-major: 1 where node i's description has word j. */
export function bagOfWords(g: DebianGraphArrays): Float32Array {
  const v = g.vocabulary.length;
  const x = new Float32Array(g.numNodes * v);
  for (let i = 0; i < g.numNodes; i++)
    for (let k = g.wordOffsets[i]!; k < g.wordOffsets[i + 1]!; k++) x[i * v + g.wordIds[k]!] = 1;
  return x;
}

/**
 * Read and decode the committed snapshot (SHA-256 checked), restricted as the options say.
 *
 * @example
 * const g = await loadDebianGraphArrays({ maxNodes: 5000 });
 * g.names[g.src[0]] // depends on g.names[g.dst[0]]
 */
export async function loadDebianGraphArrays(
  options: LoadDebianGraphOptions = {},
): Promise<DebianGraphArrays> {
  const path = options.path ?? debianGraphPath();
  const bytes = new Uint8Array(await readFile(path));
  return restrictDebianGraph(decodeDebianGraph(bytes, { source: path }), options);
}

/** What `loadDebianPackageGraph` gives. */
export interface DebianPackageGraph {
  /**
   * Edges `a → b` when package a depends on b (so messages flow from a package to what it needs;
   * `graph.toUndirected()` for both ways); x = (N, V) binary bag of words of the short
   * descriptions (float32, 1 = the word occurs), y = section id (int32); names set.
   */
  graph: Graph;
  /** Package names, sorted; node i is `names[i]`. */
  names: string[];
  /** Section names, sorted; y indexes them. */
  sections: string[];
  /** The words of x's columns, most frequent first. */
  vocabulary: string[];
  /** The decoded snapshot, for host-side use (sparse word ids, raw edges). */
  arrays: DebianGraphArrays;
}

/**
 * Debian 12's package dependency graph as a `Graph` (see `DebianGraphArrays` for what the
 * snapshot holds); SHA-256 checked. The caller owns the graph: `graph.dispose()` frees x and y.
 *
 * @throws DatasetValidationError when the snapshot is missing, corrupt (hash mismatch) or malformed
 * @example
 * const { graph, sections } = await loadDebianPackageGraph({ maxNodes: 5000, vocabulary: 500 });
 * graph.x!.shape // [5000, 500]
 */
export async function loadDebianPackageGraph(
  options: LoadDebianGraphOptions = {},
): Promise<DebianPackageGraph> {
  const arrays = await loadDebianGraphArrays(options);
  const v = arrays.vocabulary.length;
  const x = tensor(bagOfWords(arrays), { shape: [arrays.numNodes, v], dtype: 'float32' });
  const graph = Graph.fromEdges(arrays.numNodes, arrays.src, arrays.dst, {
    x,
    y: arrays.section,
    names: arrays.names,
  });
  return { graph, names: arrays.names, sections: arrays.sections, vocabulary: arrays.vocabulary, arrays };
}
