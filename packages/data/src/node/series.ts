import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DatasetValidationError } from '../image-set.js';
import { DatasetNotFoundError } from './datasets.js';

/**
 * Real time series from Debian's `python3-statsmodels` (fetched with `apt-get download` +
 * `dpkg-deb -x` into the cache, SHA-256 checked): monthly airline passengers 1949–1960 and yearly
 * sunspot numbers 1700–2008.
 *
 * - Sunspots: `statsmodels/datasets/sunspots/sunspots.csv`, a header `"YEAR","SUNACTIVITY"` then
 *   309 rows `1700,5` … `2008,2.9` (yearly mean sunspot numbers, SIDC).
 * - Airline passengers (Box & Jenkins' series G, thousands per month, 1949-01 … 1960-12): the
 *   `air2_data` list of `statsmodels/tsa/statespace/tests/results/results_sarimax.py`, 144 integers.
 */

/** The Debian package that holds both files. */
export const STATSMODELS_PACKAGE = 'python3-statsmodels';
/** The pinned Debian version, and the SHA-256 of its `.deb` (checked on every fetch). */
export const STATSMODELS_VERSION = '0.13.5+dfsg-7';
export const STATSMODELS_DEB_SHA256 = '77474ba544c8e18e7932635ef9ab65abc1b8720fb471465d2a6ddd5ea81f08ad';
/** Where an installed `python3-statsmodels` keeps its modules. */
export const STATSMODELS_INSTALLED_DIR = '/usr/lib/python3/dist-packages/statsmodels';

/** The series `loadSeries` reads. */
export type SeriesName = 'airline' | 'sunspots';

interface SeriesFile {
  /** Path under `statsmodels/`. */
  path: string;
  /** Name in the cache folder. */
  cached: string;
  /** SHA-256 of the file in python3-statsmodels 0.13.5+dfsg-7 (checked on every read). */
  sha256: string;
}

/** The file each series is read from, with its pinned hash. */
export const SERIES_FILES: Readonly<Record<SeriesName, Readonly<SeriesFile>>> = {
  sunspots: {
    path: 'datasets/sunspots/sunspots.csv',
    cached: 'sunspots.csv',
    sha256: 'f67889b1d9002cd5227f0e0ef54e35b419cdd85a31279adef6f73fb41e5c0a9b',
  },
  airline: {
    path: 'tsa/statespace/tests/results/results_sarimax.py',
    cached: 'results_sarimax.py',
    sha256: '1ce7f8d566a5838def9a26de210f14f24ef7a09dcaeff95ac459fd00e588897b',
  },
};

/** A univariate series with its calendar. */
export interface LoadedSeries {
  name: 'airline' | 'sunspots';
  values: Float64Array;
  /** Observations per seasonal cycle: 12 for monthly data, 1 when there is none. */
  period: number;
  /** Label of the first observation, e.g. '1949-01' or '1700'. */
  start: string;
}

export interface LoadSeriesOptions {
  /** Where the fetched copies are kept (default `seriesCacheDir()`). */
  cacheDir?: string;
  /** Fetch with `apt-get download` when no copy is found (default true). */
  download?: boolean;
}

/** The cache folder: `$MYELIN_CACHE_DIR`, else `$XDG_CACHE_HOME/myelin`, else `~/.cache/myelin`; then `datasets/statsmodels`. */
export function seriesCacheDir(): string {
  const root =
    process.env.MYELIN_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'myelin');
  return join(root, 'datasets', 'statsmodels');
}

const inDeb = (f: SeriesFile) => `${STATSMODELS_INSTALLED_DIR.slice(1)}/${f.path}`;

/** The shell commands that put both series files into `cacheDir` by hand (what `fetchSeriesFiles` runs). */
export function seriesFetchCommands(cacheDir = seriesCacheDir()): string {
  const files = Object.values(SERIES_FILES);
  return [
    'cd "$(mktemp -d)"',
    `apt-get download ${STATSMODELS_PACKAGE}`,
    `echo '${STATSMODELS_DEB_SHA256}  ${STATSMODELS_PACKAGE}_${STATSMODELS_VERSION}_all.deb' | sha256sum -c`,
    `dpkg-deb -x ${STATSMODELS_PACKAGE}_*.deb .`,
    `mkdir -p '${cacheDir}'`,
    ...files.map((f) => `cp ${inDeb(f)} '${cacheDir}/${f.cached}'`),
  ].join(' && ');
}

const run = promisify(execFile);
const fetching = new Map<string, Promise<void>>();

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Fetch both series files into `cacheDir` (default `seriesCacheDir()`): `apt-get download
 * python3-statsmodels` in a temporary folder, check the `.deb`'s SHA-256 against the pinned
 * 0.13.5+dfsg-7, `dpkg-deb -x` it, check each file's SHA-256, and move each into place
 * atomically. Concurrent fetches into one folder share one download.
 *
 * @throws DatasetNotFoundError naming the commands when apt-get or dpkg-deb fail
 * @throws DatasetValidationError when the `.deb` or a file is not the pinned one
 */
export function fetchSeriesFiles(cacheDir = seriesCacheDir()): Promise<void> {
  let pending = fetching.get(cacheDir);
  if (!pending) {
    pending = fetchInto(cacheDir).finally(() => fetching.delete(cacheDir));
    fetching.set(cacheDir, pending);
  }
  return pending;
}

async function fetchInto(cacheDir: string): Promise<void> {
  const op = 'fetchSeriesFiles';
  const work = await mkdtemp(join(tmpdir(), 'myelin-statsmodels-'));
  try {
    let deb: string;
    try {
      await run('apt-get', ['download', STATSMODELS_PACKAGE], { cwd: work });
      const name = (await readdir(work)).find(
        (f) => f.startsWith(`${STATSMODELS_PACKAGE}_`) && f.endsWith('.deb'),
      );
      if (!name) throw new Error(`apt-get download left no ${STATSMODELS_PACKAGE}_*.deb in ${work}`);
      deb = join(work, name);
    } catch (e) {
      const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
      throw new DatasetNotFoundError(
        `${op}: could not download Debian's ${STATSMODELS_PACKAGE} (${why}). Run: ${seriesFetchCommands(cacheDir)}`,
        seriesFetchCommands(cacheDir),
      );
    }
    const got = sha256(await readFile(deb));
    if (got !== STATSMODELS_DEB_SHA256) {
      throw new DatasetValidationError(
        `${op}: ${deb} has SHA-256 ${got}, expected ${STATSMODELS_DEB_SHA256} ` +
          `(${STATSMODELS_PACKAGE} ${STATSMODELS_VERSION}); fetch that version with: ${seriesFetchCommands(cacheDir)}`,
      );
    }
    try {
      await run('dpkg-deb', ['-x', deb, join(work, 'x')]);
    } catch (e) {
      const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
      throw new DatasetNotFoundError(
        `${op}: dpkg-deb -x ${deb} failed (${why}). Run: ${seriesFetchCommands(cacheDir)}`,
        seriesFetchCommands(cacheDir),
      );
    }
    await mkdir(cacheDir, { recursive: true });
    for (const f of Object.values(SERIES_FILES)) {
      const extracted = join(work, 'x', inDeb(f));
      verifySeriesFile(op, extracted, await readFile(extracted), f);
      // Copy beside the target, then rename: a reader never sees half a file.
      const partial = join(cacheDir, `${f.cached}.${process.pid}.${Date.now()}.partial`);
      await copyFile(extracted, partial);
      await rename(partial, join(cacheDir, f.cached));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function verifySeriesFile(op: string, path: string, bytes: Uint8Array, f: SeriesFile): string {
  const got = sha256(bytes);
  if (got !== f.sha256) {
    throw new DatasetValidationError(
      `${op}: ${path} has SHA-256 ${got}, expected ${f.sha256} (statsmodels/${f.path} of ${STATSMODELS_PACKAGE} ${STATSMODELS_VERSION})`,
    );
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Parse statsmodels' `sunspots.csv`: a header `"YEAR","SUNACTIVITY"`, then `year,value` rows of
 * consecutive years. Returns the first year and the values.
 *
 * @throws DatasetValidationError naming the first bad row
 */
export function parseSunspotsCsv(
  text: string,
  path = 'sunspots.csv',
): { startYear: number; values: Float64Array } {
  const op = 'parseSunspotsCsv';
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines[0]?.replace(/"/g, '').trim() !== 'YEAR,SUNACTIVITY') {
    throw new DatasetValidationError(
      `${op}: ${path} starts with '${lines[0] ?? ''}', expected the header "YEAR","SUNACTIVITY"`,
    );
  }
  if (lines.length < 2) throw new DatasetValidationError(`${op}: ${path} has no data rows`);
  const values = new Float64Array(lines.length - 1);
  let startYear = 0;
  for (let r = 1; r < lines.length; r++) {
    const cells = lines[r]!.split(',');
    const year = Number(cells[0]);
    const v = Number(cells[1]);
    if (cells.length !== 2 || !Number.isInteger(year) || cells[1]!.trim() === '' || !Number.isFinite(v)) {
      throw new DatasetValidationError(`${op}: ${path} row ${r}: expected 'year,value', got '${lines[r]}'`);
    }
    if (r === 1) startYear = year;
    else if (year !== startYear + r - 1) {
      throw new DatasetValidationError(
        `${op}: ${path} row ${r}: expected the year ${startYear + r - 1}, got ${year}`,
      );
    }
    values[r - 1] = v;
  }
  return { startYear, values };
}

/**
 * The `air2_data = [ … ]` list of statsmodels' `results_sarimax.py`: Box & Jenkins' monthly
 * airline passengers 1949–1960. Checks 144 non-negative integers, the first 112 and the last 432.
 *
 * @throws DatasetValidationError when the list is missing or not that series
 */
export function parseAirlinePassengers(text: string, path = 'results_sarimax.py'): Float64Array {
  const op = 'parseAirlinePassengers';
  const m = /^air2_data\s*=\s*\[([^\]]*)\]/m.exec(text);
  if (!m) throw new DatasetValidationError(`${op}: ${path} has no 'air2_data = [...]' list`);
  const cells = m[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const values = new Float64Array(cells.length);
  cells.forEach((s, i) => {
    const v = Number(s);
    if (!Number.isInteger(v) || v < 0) {
      throw new DatasetValidationError(
        `${op}: ${path} air2_data[${i}] is '${s}', expected a passenger count`,
      );
    }
    values[i] = v;
  });
  if (values.length !== 144 || values[0] !== 112 || values[143] !== 432) {
    throw new DatasetValidationError(
      `${op}: ${path} air2_data has ${values.length} values from ${values[0]} to ${values.at(-1)}, ` +
        'expected the 144 monthly airline passengers 1949–1960 (112 … 432)',
    );
  }
  return values;
}

/**
 * Load a statsmodels series by name: `'airline'` (144 monthly passenger counts in thousands,
 * 1949-01 … 1960-12, period 12) or `'sunspots'` (309 yearly mean sunspot numbers, 1700 … 2008,
 * period 1). Read from an installed `python3-statsmodels`, else the cache, else fetched into it
 * with `apt-get download` + `dpkg-deb -x`; the file's SHA-256 is checked every time.
 *
 * @throws DatasetNotFoundError with the exact commands when it cannot be found or fetched
 * @throws DatasetValidationError when a file is not the pinned one
 * @example
 * const air = await loadSeries('airline'); // air.values: 112, 118, 132, … 432
 */
export async function loadSeries(
  name: 'airline' | 'sunspots',
  options: LoadSeriesOptions = {},
): Promise<LoadedSeries> {
  const op = 'loadSeries';
  const spec = Object.hasOwn(SERIES_FILES, name) ? SERIES_FILES[name] : undefined;
  if (!spec) {
    throw new RangeError(
      `${op}: no series ${JSON.stringify(name)}; expected one of ${Object.keys(SERIES_FILES).join(', ')}`,
    );
  }
  const cacheDir = options.cacheDir ?? seriesCacheDir();
  const installed = join(STATSMODELS_INSTALLED_DIR, spec.path);
  const cached = join(cacheDir, spec.cached);
  let path: string;
  // An installed statsmodels of another version is passed over for the pinned copy in the cache.
  if (existsSync(installed) && sha256(await readFile(installed)) === spec.sha256) path = installed;
  else if (existsSync(cached)) path = cached;
  else if (options.download ?? true) {
    await fetchSeriesFiles(cacheDir);
    path = cached;
  } else {
    throw new DatasetNotFoundError(
      `${op}: statsmodels' ${spec.path} is neither installed (${installed}) nor cached (${cached}), and download is off. ` +
        `Install it (apt-get install -y ${STATSMODELS_PACKAGE}) or run: ${seriesFetchCommands(cacheDir)}`,
      seriesFetchCommands(cacheDir),
    );
  }
  const text = verifySeriesFile(op, path, await readFile(path), spec);
  if (name === 'airline') {
    return { name, values: parseAirlinePassengers(text, path), period: 12, start: '1949-01' };
  }
  const { startYear, values } = parseSunspotsCsv(text, path);
  return { name, values, period: 1, start: String(startYear) };
}
