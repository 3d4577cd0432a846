/**
 * word2vec, Myelin vs gensim, on the IMDB reviews with the same settings (skip-gram, negative 5,
 * window 5, dim 100, min count 5, sample 1e-3, alpha 0.025 → 0.0001, the same epochs and
 * threads). Myelin's tokenizer writes the corpus once (one review per line) so both read the same
 * tokens; gensim runs in `/usr/bin/python3` (Debian's python3-gensim) by bench/word2vec_gensim.py.
 * Both score the same analogy questions (built from Debian's miscfiles and wamerican, restricted
 * to pairs in the corpus vocabulary), each with its own evaluator, and Myelin's evaluator also
 * scores gensim's exported vectors as a cross-check (3CosAdd and 3CosMul), and both vector sets
 * are scored against a held-out similarity list built from WordNet (Spearman's ρ). With
 * MYELIN_W2V_BENCH_KEEP=DIR both vector files and the questions are kept in DIR.
 *
 *     node bench/dist/index.js word2vec --epochs=5 --threads=2
 *
 * One run (2 threads, 5 epochs, a 2-core machine at load 11–34; gensim's side run by the same
 * Python script beside the bench): Myelin 21,079 words/s, gensim 4.2 28,784 (0.73×); 3CosAdd
 * 3.40 % vs 4.13 %, 3CosMul 3.13 % vs 3.93 %, all 3,000 questions in vocabulary; WordNet ρ 0.405 vs
 * 0.410 on 919 of 1,000 pairs (packages/zoo-word2vec/README.md has the details).
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tokenizeWords, Vocabulary } from '@myelin/data';
import { loadAnalogyPairs, loadImdbReviews } from '@myelin/data/node';
import {
  analogyQuestions,
  encodeCorpus,
  readVectorsBinary,
  Word2Vec,
  WordVectors,
  writeVectorsBinary,
} from '@myelin/zoo-word2vec';
import { loadWordNetNouns } from '@myelin/zoo-word2vec/node';

export interface Word2VecBenchRow {
  library: 'myelin' | 'gensim';
  threads: number;
  epochs: number;
  vocab: number;
  seconds: number;
  /** Corpus tokens × epochs / training seconds (both libraries count the same tokens). */
  wordsPerSecond: number;
  /** 3CosAdd accuracy by the library's own evaluator, on `asked` in-vocabulary questions. */
  accuracy: number;
  asked: number;
  /** 3CosAdd accuracy of these vectors by Myelin's evaluator (the cross-check). */
  accuracyByMyelin: number;
  /** 3CosMul accuracy of these vectors by Myelin's evaluator (its answers equal gensim's `most_similar_cosmul`). */
  cosMulByMyelin: number;
  /** Spearman's ρ of cosines against WordNet path similarity (the held-out list), Myelin's evaluator. */
  similarity: { spearman: number; pairs: number; oov: number };
}

const run = promisify(execFile);

export async function runWord2VecBench(
  options: { threads?: number; epochs?: number; python?: string; keep?: string } = {},
): Promise<Word2VecBenchRow[]> {
  const threads = options.threads ?? 2;
  const epochs = options.epochs ?? 5;
  // Where to keep both vector files and the questions (for later scoring), if anywhere.
  const keep = options.keep ?? process.env.MYELIN_W2V_BENCH_KEEP;
  const here = dirname(fileURLToPath(import.meta.url));
  const script = join(here, '..', 'word2vec_gensim.py');
  const work = await mkdtemp(join(tmpdir(), 'myelin-w2v-bench-'));
  try {
    const { texts } = await loadImdbReviews();
    const sentences = texts.map((t) => tokenizeWords(t)).filter((s) => s.length > 0);
    const tokens = sentences.reduce((n, s) => n + s.length, 0);
    const corpusFile = join(work, 'imdb.txt');
    await writeFile(corpusFile, `${sentences.map((s) => s.join(' ')).join('\n')}\n`);
    const vocab = Vocabulary.build(sentences, { minCount: 5 });
    const sets = analogyQuestions(await loadAnalogyPairs(), {
      maxPerSection: 1000,
      known: (w) => vocab.has(w),
    });
    const questions = sets.flatMap((s) => s.questions);
    const questionsFile = join(work, 'questions.txt');
    await writeFile(
      questionsFile,
      sets.map((s) => [`: ${s.section}`, ...s.questions.map((q) => q.join(' '))].join('\n')).join('\n') +
        '\n',
    );

    // The held-out similarity list: 1,000 noun pairs scored by WordNet's path similarity (no
    // human-judged list is shipped by npm or Debian), the same list for both.
    const simList = (await loadWordNetNouns()).similarityList({ pairs: 1000, seed: 1 });

    const corpus = encodeCorpus(vocab, sentences);
    const model = await Word2Vec.create(vocab, {
      dim: 100,
      window: 5,
      sg: true,
      negative: 5,
      sample: 1e-3,
      threads,
    });
    const t0 = performance.now();
    await model.train(corpus, { epochs });
    const seconds = (performance.now() - t0) / 1000;
    const mine = new WordVectors(vocab.words, model.vectors(), 100);
    model.dispose();
    if (keep) {
      await mkdir(keep, { recursive: true });
      await writeFile(join(keep, 'myelin.bin'), writeVectorsBinary(mine));
      await copyFile(questionsFile, join(keep, 'questions.txt'));
    }
    const myScore = mine.evaluateAnalogies(questions);
    const myMul = mine.evaluateAnalogies(questions, { method: '3CosMul' });
    const rows: Word2VecBenchRow[] = [
      {
        library: 'myelin',
        threads,
        epochs,
        vocab: vocab.size,
        seconds,
        wordsPerSecond: (tokens * epochs) / seconds,
        accuracy: myScore.accuracy,
        asked: myScore.asked,
        accuracyByMyelin: myScore.accuracy,
        cosMulByMyelin: myMul.accuracy,
        similarity: mine.evaluateSimilarity(simList),
      },
    ];
    console.log(
      `myelin: ${vocab.size} words, ${seconds.toFixed(1)} s, ${Math.round(rows[0]!.wordsPerSecond)} words/s, 3CosAdd ${(100 * myScore.accuracy).toFixed(1)}% / 3CosMul ${(100 * myMul.accuracy).toFixed(1)}% of ${myScore.asked}`,
    );
    const out = join(work, 'gensim.bin');
    const { stdout } = await run(
      options.python ?? '/usr/bin/python3',
      [script, corpusFile, questionsFile, out, '--threads', String(threads), '--epochs', String(epochs)],
      { maxBuffer: 1 << 24 },
    );
    const g = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      vocab: number;
      seconds: number;
      corpus_words: number;
      analogy_accuracy: number;
      analogy_asked: number;
    };
    const theirs = readVectorsBinary(new Uint8Array(await readFile(out)));
    if (keep) await copyFile(out, join(keep, 'gensim.bin'));
    rows.push({
      library: 'gensim',
      threads,
      epochs,
      vocab: g.vocab,
      seconds: g.seconds,
      wordsPerSecond: (g.corpus_words * epochs) / g.seconds,
      accuracy: g.analogy_accuracy,
      asked: g.analogy_asked,
      accuracyByMyelin: theirs.evaluateAnalogies(questions).accuracy,
      cosMulByMyelin: theirs.evaluateAnalogies(questions, { method: '3CosMul' }).accuracy,
      similarity: theirs.evaluateSimilarity(simList),
    });
    console.log(
      `word2vec on IMDB (${tokens} tokens, ${questions.length} analogy questions), ${threads} threads, ${epochs} epochs`,
    );
    console.log(
      'library  vocab   seconds  words/s    3CosAdd (own)  asked  3CosAdd (Myelin eval)  3CosMul (Myelin eval)',
    );
    for (const r of rows) {
      console.log(
        `${r.library.padEnd(8)} ${String(r.vocab).padEnd(7)} ${r.seconds.toFixed(1).padStart(7)}  ${Math.round(r.wordsPerSecond).toString().padStart(8)}   ${(100 * r.accuracy).toFixed(1).padStart(6)}%        ${String(r.asked).padStart(5)}  ${(100 * r.accuracyByMyelin).toFixed(1).padStart(6)}%                ${(100 * r.cosMulByMyelin).toFixed(1)}%`,
      );
    }
    for (const r of rows) {
      console.log(
        `${r.library}: WordNet similarity ρ ${r.similarity.spearman.toFixed(3)} on ${r.similarity.pairs} of ${r.similarity.pairs + r.similarity.oov} pairs`,
      );
    }
    console.log(
      `Myelin / gensim words/s: ${(rows[0]!.wordsPerSecond / rows[1]!.wordsPerSecond).toFixed(2)}×`,
    );
    return rows;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
