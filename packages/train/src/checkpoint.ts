import { loadSafetensors, type Tensor } from '@myelin/core';

/**
 * Checkpoints on disk that a crash cannot corrupt. A checkpoint named `<stem>` in a directory is
 *
 * - `<stem>-<hash>.safetensors`: the tensors (and `<stem>-<hash>.optim.json`: optimizer state), named
 *   by the first 16 hex digits of their SHA-256, so a new checkpoint never overwrites a file the
 *   current manifest points at;
 * - `<stem>.json`: the manifest, written last. It names each file with its size and SHA-256 and
 *   carries a checksum of itself. Renaming it into place is the commit point.
 *
 * Every file is written to a temporary name in the same directory, fsynced, renamed, and the
 * directory fsynced (POSIX rename is atomic; the fsyncs make the order durable), so a kill or power
 * loss at any instant leaves the previous complete checkpoint or the new one. Loading verifies sizes
 * and hashes, so a flipped byte is reported as corruption instead of loading wrong weights.
 */

type Fs = typeof import('node:fs');
type Crypto = typeof import('node:crypto');

function builtin<T>(id: string, what: string): T {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const m = p?.getBuiltinModule?.(id) as T | undefined;
  if (!m) throw new Error(`${what} reads and writes files and needs Node.js 20.16+ (${id})`);
  return m;
}
const fsModule = (what: string) => builtin<Fs>('node:fs', what);

export const CHECKPOINT_FORMAT = 'myelin.checkpoint';
export const CHECKPOINT_VERSION = 1;

/** One file of a checkpoint, as the manifest records it. */
export interface CheckpointFile {
  /** File name, relative to the checkpoint's directory. */
  path: string;
  bytes: number;
  sha256: string;
}

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** Epoch (0-based) whose end or validation triggered the save. */
  epoch: number;
  /** The values of that event: `loss` and metrics, or `valLoss`, `valAccuracy`, … */
  values: Record<string, number>;
  /** Caller's strings, e.g. the CLI's `{ model, dataset }`. */
  metadata: Record<string, string>;
  files: { weights: CheckpointFile; optimizer?: CheckpointFile };
  /** SHA-256 of this manifest's JSON without this field. */
  checksum: string;
}

/** Why a checkpoint could not be loaded: there is none, or what is there fails its checks. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  constructor(
    readonly reason: 'missing' | 'corrupt',
    message: string,
  ) {
    super(message);
  }
}

export function sha256Hex(data: Uint8Array | string): string {
  return builtin<Crypto>('node:crypto', 'sha256').createHash('sha256').update(data).digest('hex');
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const join = (dir: string, name: string) => (dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`);

let tmpSeq = 0;

/**
 * Test hook: `MYELIN_CHECKPOINT_STEP_DELAY_MS=n` sleeps n ms after each step of a write (half a
 * file, fsync, rename), so tests can kill a process at every point of the protocol.
 */
function stepDelay(): void {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const ms = Number(env?.MYELIN_CHECKPOINT_STEP_DELAY_MS ?? 0);
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function fsyncDir(fs: Fs, dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return; // Directories cannot be opened on some platforms (Windows); rename is as durable as it gets there.
  }
  try {
    fs.fsyncSync(fd);
  } catch {
    // EINVAL/EISDIR where a directory cannot be fsynced: nothing more to do.
  } finally {
    fs.closeSync(fd);
  }
}

/** Write `data` to `dir/name` atomically: temp file in the same directory, fsync, rename. */
function writeAtomic(fs: Fs, dir: string, name: string, data: Uint8Array): void {
  const pid = (globalThis as { process?: { pid?: number } }).process?.pid ?? 0;
  const tmp = join(dir, `${name}.partial-${pid}-${tmpSeq++}`);
  const fd = fs.openSync(tmp, 'w');
  try {
    const half = data.length >> 1;
    let off = 0;
    while (off < half) off += fs.writeSync(fd, data, off, half - off);
    stepDelay();
    while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  stepDelay();
  fs.renameSync(tmp, join(dir, name));
  stepDelay();
}

function fileRef(stem: string, ext: string, data: Uint8Array): CheckpointFile {
  const sha256 = sha256Hex(data);
  return { path: `${stem}-${sha256.slice(0, 16)}${ext}`, bytes: data.length, sha256 };
}

/** A file the manifest already names with this hash holds these bytes: no need to write it again. */
function alreadyThere(fs: Fs, dir: string, ref: CheckpointFile): boolean {
  try {
    const st = fs.statSync(join(dir, ref.path));
    return st.size === ref.bytes && sha256Hex(fs.readFileSync(join(dir, ref.path))) === ref.sha256;
  } catch {
    return false;
  }
}

function manifestChecksum(body: Omit<CheckpointManifest, 'checksum'>): string {
  return sha256Hex(JSON.stringify(body));
}

export interface WriteCheckpointOptions {
  /** File stem (default 'checkpoint'): the manifest is `<stem>.json`. */
  name?: string;
  /** safetensors bytes of the weights. */
  weights: Uint8Array;
  /** Optimizer state as JSON text. */
  optimizer?: string;
  epoch: number;
  values?: Record<string, number>;
  metadata?: Record<string, string>;
}

/**
 * Write one checkpoint into `dir` (created if missing) so that a crash at any point leaves the
 * previous checkpoint or this one, then delete files no manifest names any more.
 */
export function writeCheckpoint(dir: string, options: WriteCheckpointOptions): CheckpointManifest {
  const fs = fsModule('writeCheckpoint');
  const stem = options.name ?? 'checkpoint';
  fs.mkdirSync(dir, { recursive: true });
  const weights = fileRef(stem, '.safetensors', options.weights);
  const optimBytes = options.optimizer === undefined ? null : new TextEncoder().encode(options.optimizer);
  const optimizer = optimBytes ? fileRef(stem, '.optim.json', optimBytes) : undefined;
  if (!alreadyThere(fs, dir, weights)) writeAtomic(fs, dir, weights.path, options.weights);
  if (optimizer && optimBytes && !alreadyThere(fs, dir, optimizer))
    writeAtomic(fs, dir, optimizer.path, optimBytes);
  // The data files' renames must be durable before a manifest that names them can be.
  fsyncDir(fs, dir);
  const body: Omit<CheckpointManifest, 'checksum'> = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    epoch: options.epoch,
    values: options.values ?? {},
    metadata: options.metadata ?? {},
    files: optimizer ? { weights, optimizer } : { weights },
  };
  const manifest: CheckpointManifest = { ...body, checksum: manifestChecksum(body) };
  writeAtomic(fs, dir, `${stem}.json`, new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`));
  fsyncDir(fs, dir);
  cleanCheckpointDir(dir, { name: stem });
  return manifest;
}

/**
 * Delete what an interrupted write left in `dir` for checkpoint `name`: temporary files, and data
 * files the current manifest does not name. Safe to call at any time from the one process writing
 * that checkpoint; a missing directory is fine.
 */
export function cleanCheckpointDir(dir: string, options: { name?: string } = {}): string[] {
  const fs = fsModule('cleanCheckpointDir');
  const stem = options.name ?? 'checkpoint';
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return [];
    throw e;
  }
  // Without a manifest every data file of this stem is an orphan of an uncommitted write; with a
  // corrupt one (null) data files are left alone, for a person to salvage.
  let keep: Set<string> | null = new Set<string>();
  try {
    const m = readManifest(dir, stem);
    keep = new Set([m.files.weights.path, ...(m.files.optimizer ? [m.files.optimizer.path] : [])]);
  } catch (e) {
    if (!(e instanceof CheckpointError && e.reason === 'missing')) keep = null;
  }
  const s = escapeRe(stem);
  const partial = new RegExp(
    `^${s}(?:\\.json|-[0-9a-f]{16}\\.(?:safetensors|optim\\.json))\\.partial-\\d+-\\d+$`,
  );
  const data = new RegExp(`^${s}-[0-9a-f]{16}\\.(?:safetensors|optim\\.json)$`);
  const removed: string[] = [];
  for (const n of names) {
    if (partial.test(n) || (keep && data.test(n) && !keep.has(n))) {
      fs.rmSync(join(dir, n), { force: true });
      removed.push(n);
    }
  }
  return removed;
}

function readManifest(dir: string, stem: string): CheckpointManifest {
  const fs = fsModule('loadCheckpoint');
  const path = join(dir, `${stem}.json`);
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new CheckpointError('missing', `no checkpoint in '${dir}' (no ${stem}.json)`);
    throw e;
  }
  const corrupt = (why: string) => new CheckpointError('corrupt', `checkpoint '${path}' is corrupt: ${why}`);
  let m: CheckpointManifest;
  try {
    m = JSON.parse(text) as CheckpointManifest;
  } catch (e) {
    throw corrupt(`not valid JSON (${(e as Error).message})`);
  }
  if (!m || typeof m !== 'object' || m.format !== CHECKPOINT_FORMAT)
    throw corrupt(`not a myelin checkpoint manifest (expected format '${CHECKPOINT_FORMAT}')`);
  if (m.version !== CHECKPOINT_VERSION)
    throw corrupt(`manifest version ${String(m.version)}, this library reads version ${CHECKPOINT_VERSION}`);
  const { checksum, ...body } = m;
  if (checksum !== manifestChecksum(body)) throw corrupt('the manifest does not match its checksum');
  const isFile = (f: unknown) =>
    !!f && typeof (f as CheckpointFile).path === 'string' && typeof (f as CheckpointFile).sha256 === 'string';
  if (!isFile(m.files?.weights) || (m.files.optimizer !== undefined && !isFile(m.files.optimizer)))
    throw corrupt('the manifest does not name its files');
  return m;
}

function readVerified(dir: string, manifestPath: string, ref: CheckpointFile): Uint8Array {
  const fs = fsModule('loadCheckpoint');
  // The checksum above vouches for the manifest, but a path must still stay inside the directory.
  if (!/^[^/\\]+$/.test(ref.path) || ref.path === '.' || ref.path === '..')
    throw new CheckpointError('corrupt', `checkpoint '${manifestPath}' names an invalid file '${ref.path}'`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(fs.readFileSync(join(dir, ref.path)));
  } catch (e) {
    throw new CheckpointError(
      'corrupt',
      `checkpoint '${manifestPath}' names '${ref.path}', which cannot be read (${(e as Error).message})`,
    );
  }
  if (bytes.length !== ref.bytes)
    throw new CheckpointError(
      'corrupt',
      `checkpoint file '${join(dir, ref.path)}' has ${bytes.length} bytes, the manifest says ${ref.bytes}`,
    );
  const sha = sha256Hex(bytes);
  if (sha !== ref.sha256)
    throw new CheckpointError(
      'corrupt',
      `checkpoint file '${join(dir, ref.path)}' fails its SHA-256 check (expected ${ref.sha256}, got ${sha})`,
    );
  return bytes;
}

export interface LoadedCheckpoint {
  manifest: CheckpointManifest;
  /** The weights as tensors on the active backend; the caller owns (and disposes) them. */
  tensors: Record<string, Tensor>;
  /** The optimizer state as saved (JSON), when there is one. */
  optimizer?: unknown;
}

/**
 * Read and verify the checkpoint `name` in `dir`. Throws a `CheckpointError` with reason 'missing'
 * when there is none, 'corrupt' when a file fails its size or SHA-256 check.
 */
export function loadCheckpoint(dir: string, options: { name?: string } = {}): LoadedCheckpoint {
  const stem = options.name ?? 'checkpoint';
  const manifest = readManifest(dir, stem);
  const manifestPath = join(dir, `${stem}.json`);
  const weights = readVerified(dir, manifestPath, manifest.files.weights);
  const optim = manifest.files.optimizer
    ? (JSON.parse(
        new TextDecoder().decode(readVerified(dir, manifestPath, manifest.files.optimizer)),
      ) as unknown)
    : undefined;
  // The bytes are the ones written (their hash matched): an error here is not corruption.
  const { tensors } = loadSafetensors(weights);
  return optim === undefined ? { manifest, tensors } : { manifest, tensors, optimizer: optim };
}
