/**
 * Node-only loaders of `@myelin/zoo-word2vec` (`@myelin/zoo-word2vec/node`): WordNet's noun files
 * from Debian's `wordnet-base` (WordNet 3.0), read from an installed copy, else the cache, else
 * fetched with `apt-get download` + `dpkg-deb -x`, each file checked against its SHA-256.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { corporaCacheDir } from '@myelin/data/node';
import { WordNetNouns } from './wordnet.js';

const run = promisify(execFile);

/** The files read, with their SHA-256 in Debian's wordnet-base 1:3.0-37. */
const WORDNET_FILES = {
  'data.noun': 'fea17d2f9656611334eac790e5d69e47645fa180c4aa481fb4cd9b3520754ca2',
  'index.noun': 'a490d99d93d017bf4822fe2f0ffa51fd73911ce271dc7535fade21f8814b5a04',
  'cntlist.rev': 'a198580b8f705fa02797bba8b13e5cbe4a9f9f40cb1697e774c7fc6a5865b035',
} as const;
type WordNetFile = keyof typeof WORDNET_FILES;

const INSTALLED = '/usr/share/wordnet';

/** Where the loader looks for and keeps WordNet's files. */
export function wordnetDir(cacheDir = corporaCacheDir()): string {
  return join(cacheDir, 'wordnet-base');
}

function check(path: string, name: WordNetFile, bytes: Uint8Array): void {
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== WORDNET_FILES[name]) {
    throw new Error(
      `loadWordNetNouns: ${path} is not wordnet-base 1:3.0-37's ${name}: SHA-256 ${sha}, expected ${WORDNET_FILES[name]}`,
    );
  }
}

/**
 * WordNet 3.0's noun hierarchy (`WordNetNouns`). `fetch: false` refuses to download (the error says
 * the commands to run by hand).
 */
export async function loadWordNetNouns(
  options: { cacheDir?: string; fetch?: boolean } = {},
): Promise<WordNetNouns> {
  const cache = wordnetDir(options.cacheDir);
  const names = Object.keys(WORDNET_FILES) as WordNetFile[];
  const have = (dir: string) => names.every((n) => existsSync(join(dir, n)));
  let dir = have(INSTALLED) ? INSTALLED : have(cache) ? cache : undefined;
  if (!dir) {
    if (options.fetch === false) {
      throw new Error(
        `loadWordNetNouns: WordNet's files are not in ${INSTALLED} nor ${cache}; install Debian's wordnet-base, or: apt-get download wordnet-base && dpkg-deb -x wordnet-base_*.deb x && cp x/usr/share/wordnet/{data.noun,index.noun,cntlist.rev} ${cache}/`,
      );
    }
    const work = await mkdtemp(join(tmpdir(), 'myelin-wordnet-'));
    try {
      await run('apt-get', ['download', 'wordnet-base'], { cwd: work });
      const deb = (await readdir(work)).find((f) => f.startsWith('wordnet-base_') && f.endsWith('.deb'));
      if (!deb) throw new Error(`loadWordNetNouns: apt-get download left no wordnet-base_*.deb in ${work}`);
      await run('dpkg-deb', ['-x', join(work, deb), work]);
      await mkdir(cache, { recursive: true });
      for (const n of names) {
        const from = join(work, 'usr', 'share', 'wordnet', n);
        check(from, n, await readFile(from));
        await copyFile(from, join(cache, n));
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    dir = cache;
  }
  const text: Partial<Record<WordNetFile, string>> = {};
  for (const n of names) {
    const path = join(dir, n);
    const bytes = await readFile(path);
    check(path, n, bytes);
    text[n] = bytes.toString('latin1');
  }
  return new WordNetNouns(text['data.noun']!, text['index.noun']!, text['cntlist.rev']!);
}
