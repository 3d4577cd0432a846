import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMobyDick } from '@myelin/data/node';
import { afterAll, describe, expect, it } from 'vitest';
import { sentencesOf, WordVectors } from '../src/index.js';
import { fixture } from './fixtures.js';

/*
 * The Hogwild kernel on Web Workers in headless Chromium (Debian's /usr/bin/chromium, never a
 * downloaded browser), through the browser harness of @myelin/backend-testkit (loaded by path:
 * it is not a declared dependency of this package): test/browser/page.ts is bundled with the
 * package's source, served cross-origin isolated (COOP + COEP, so SharedArrayBuffer exists) and
 * trains on Moby Dick with two workers; the vectors come back here to be judged.
 */
interface Harness {
  chromiumAvailable(what?: string): boolean;
  serveTestPage(o: {
    entry: string;
    title: string;
    alias?: Record<string, string>;
    external?: string[];
    isolate?: boolean;
  }): Promise<{ base: string; close(): void }>;
  launchChromium(): Promise<{ context: unknown; close(): Promise<void> }>;
  runTestPage<T>(
    context: unknown,
    url: string,
    timeoutMs?: number,
  ): Promise<{ result: T } | { unavailable: string }>;
}
const harness = (await import('@myelin/backend-testkit/browser')) as unknown as Harness;

interface PageResult {
  isolated: boolean;
  threads: number;
  words: string[];
  vectors: number[];
  losses: number[];
  ms: number;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const moby = fixture('moby-gensim.json') as { pairs: [string, string][]; gap: number[] };
const work = mkdtempSync(join(tmpdir(), 'myelin-w2v-browser-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!harness.chromiumAvailable('word2vec browser test'))(
  'word2vec on Web Workers in headless Chromium',
  () => {
    it('trains Moby Dick with 2 workers over shared memory: the loss falls, plurals sit by their nouns', async () => {
      const corpusFile = join(work, 'corpus.json');
      writeFileSync(corpusFile, JSON.stringify(sentencesOf((await loadMobyDick()).split(/\r?\n\s*\r?\n/))));
      const server = await harness.serveTestPage({
        entry: join(here, 'browser', 'page.ts'),
        title: 'word2vec workers',
        alias: { 'w2v-corpus': corpusFile },
        external: ['node:os', 'node:worker_threads'],
        isolate: true,
      });
      const browser = await harness.launchChromium();
      try {
        // about 20 s on a quiet 2-core machine; minutes when it is loaded 10×
        const outcome = await harness.runTestPage<PageResult>(browser.context, `${server.base}/`, 400_000);
        if (!('result' in outcome)) throw new Error(`the page could not run: ${outcome.unavailable}`);
        const r = outcome.result;
        console.log(
          `chromium: ${r.threads} workers, ${(r.ms / 1000).toFixed(1)} s, loss per prediction ${r.losses.map((l) => l.toFixed(3)).join(' → ')}`,
        );
        expect(r.isolated).toBe(true);
        expect(r.threads).toBe(2); // Web Workers, not the single-thread fallback
        expect(r.losses).toHaveLength(5);
        expect(r.losses[4]!).toBeLessThan(0.95 * r.losses[0]!); // one run: 2.895 → 2.599
        const kv = new WordVectors(r.words, Float32Array.from(r.vectors), 50);
        // The Node test's measure (test/recipes.test.ts): mean cosine of a noun with its plural minus
        // that with another noun's plural; gensim 4.2, same settings, three seeds: 0.041–0.044.
        const pairs = moby.pairs.filter(([a, b]) => kv.id(a) >= 0 && kv.id(b) >= 0);
        expect(pairs.length).toBe(moby.pairs.length);
        let gap = 0;
        pairs.forEach(([a, b], i) => {
          gap += kv.similarity(a, b) - kv.similarity(a, pairs[(i + 7) % pairs.length]![1]);
        });
        gap /= pairs.length;
        expect(gap).toBeGreaterThan(0.75 * Math.min(...moby.gap));
        const near = kv.nearest('whale', 10).map((n) => n.word);
        console.log(`chromium: whale → ${near.join(', ')}`);
        // The book's whales and whale words (one run: great, sperm, whale's, greenland, book, right, …).
        const whaley = ['sperm', "whale's", 'whales', 'leviathan', 'greenland', 'right', 'fishery', 'baleen'];
        expect(near.filter((w) => whaley.includes(w)).length).toBeGreaterThanOrEqual(2);
      } finally {
        await browser.close();
        server.close();
      }
    }, 450_000);
  },
);
