import { Generator } from '@myelin/core';

/**
 * WordNet's noun hierarchy, read from the database files (`data.noun`, `index.noun`, and
 * `cntlist.rev` for sense frequencies; Princeton WordNet 3.0 as Debian's `wordnet-base` ships it),
 * and a word-pair similarity list built from it: the fallback for a held-out similarity test where
 * no human-judged list (WordSim-353, SimLex-999, MEN, RG-65) is shipped by npm or Debian.
 */
export class WordNetNouns {
  /** Synset offset → its hypernyms (`@` and instance `@i` pointers). */
  private readonly parents = new Map<number, number[]>();
  /** Lemma (lowercase, `_` for spaces) → its noun synsets, most frequent sense first. */
  private readonly senses = new Map<string, number[]>();
  /** Lemma → tagged count of its first noun sense (from `cntlist.rev`; 0 when untagged). */
  private readonly firstSenseCount = new Map<string, number>();
  private readonly ancestorCache = new Map<number, Map<number, number>>();

  constructor(dataNoun: string, indexNoun: string, cntlist = '') {
    for (const line of dataNoun.split('\n')) {
      if (line.length === 0 || line.startsWith('  ')) continue; // the licence header
      const f = line.split(' ');
      const offset = Number(f[0]);
      const words = Number.parseInt(f[3]!, 16);
      let i = 4 + 2 * words;
      const pointers = Number(f[i]);
      if (!Number.isInteger(offset) || !Number.isInteger(pointers)) {
        throw new RangeError(`WordNetNouns: malformed data.noun line "${line.slice(0, 60)}…"`);
      }
      i++;
      const up: number[] = [];
      for (let p = 0; p < pointers; p++, i += 4) {
        if ((f[i] === '@' || f[i] === '@i') && f[i + 2] === 'n') up.push(Number(f[i + 1]));
      }
      this.parents.set(offset, up);
    }
    for (const line of indexNoun.split('\n')) {
      if (line.length === 0 || line.startsWith('  ')) continue;
      const f = line.trim().split(' ');
      const synsets = Number(f[2]);
      const pointers = Number(f[3]);
      const offsets = f.slice(6 + pointers, 6 + pointers + synsets).map(Number);
      if (offsets.length !== synsets || offsets.some((o) => !this.parents.has(o))) {
        throw new RangeError(`WordNetNouns: index.noun line for "${f[0]}" names synsets data.noun lacks`);
      }
      this.senses.set(f[0]!, offsets);
    }
    if (this.parents.size === 0 || this.senses.size === 0) {
      throw new RangeError(
        `WordNetNouns: expected WordNet's data.noun and index.noun; got ${this.parents.size} synsets and ${this.senses.size} lemmas`,
      );
    }
    for (const line of cntlist.split('\n')) {
      // sense_key sense_number tag_cnt; noun sense keys are lemma%1:…
      const [key, sense, count] = line.split(' ');
      if (!key || sense !== '1') continue;
      const cut = key.indexOf('%1:');
      if (cut < 0) continue;
      const lemma = key.slice(0, cut).toLowerCase();
      this.firstSenseCount.set(lemma, Math.max(this.firstSenseCount.get(lemma) ?? 0, Number(count)));
    }
  }

  /** The noun synsets of a word (empty when it is no noun). */
  synsets(word: string): readonly number[] {
    return this.senses.get(word.toLowerCase().replaceAll(' ', '_')) ?? [];
  }

  /** Every ancestor of a synset (itself included) with its fewest hypernym steps. */
  private ancestors(synset: number): Map<number, number> {
    const hit = this.ancestorCache.get(synset);
    if (hit) return hit;
    const dist = new Map<number, number>([[synset, 0]]);
    let frontier = [synset];
    for (let d = 1; frontier.length > 0; d++) {
      const next: number[] = [];
      for (const s of frontier) {
        for (const p of this.parents.get(s) ?? []) {
          if (!dist.has(p)) {
            dist.set(p, d);
            next.push(p);
          }
        }
      }
      frontier = next;
    }
    this.ancestorCache.set(synset, dist);
    return dist;
  }

  /** Fewest edges between two synsets through a common hypernym (−1 when they share none). */
  distance(a: number, b: number): number {
    const da = this.ancestors(a);
    const db = this.ancestors(b);
    let best = -1;
    const [small, large] = da.size <= db.size ? [da, db] : [db, da];
    for (const [s, d] of small) {
      const e = large.get(s);
      if (e !== undefined && (best < 0 || d + e < best)) best = d + e;
    }
    return best;
  }

  /**
   * Path similarity of two words as nouns: 1 / (1 + the fewest hypernym/hyponym edges between any
   * of their noun synsets), the measure of NLTK's `path_similarity` maximised over senses; 0 when
   * either is no noun or they share no ancestor.
   */
  pathSimilarity(a: string, b: string): number {
    let best = 0;
    for (const s of this.synsets(a)) {
      for (const t of this.synsets(b)) {
        const d = this.distance(s, t);
        if (d >= 0) best = Math.max(best, 1 / (1 + d));
      }
    }
    return best;
  }

  /** Tagged count of a word's first noun sense in the SemCor-derived `cntlist.rev` (0 if none). */
  senseCount(word: string): number {
    return this.firstSenseCount.get(word.toLowerCase()) ?? 0;
  }

  /**
   * A similarity list of `pairs` noun pairs scored by `pathSimilarity`, reproducible from `seed`.
   * Words: the `words` one-word, lowercase, alphabetic nouns whose first sense is tagged most often.
   * Half the pairs are near (the second word shares a hypernym within two steps of the first
   * word's first sense), half are two words drawn at random, so the scores spread from unrelated
   * (≈ 0.05–0.1) to close (0.2–0.5).
   */
  similarityList(
    options: { pairs?: number; words?: number; seed?: number } = {},
  ): [string, string, number][] {
    const nPairs = options.pairs ?? 1000;
    const nWords = options.words ?? 1500;
    for (const [name, v] of [
      ['pairs', nPairs],
      ['words', nWords],
    ] as const) {
      if (!Number.isInteger(v) || v < 2) {
        throw new RangeError(`WordNetNouns.similarityList: ${name} must be an integer ≥ 2, got ${v}`);
      }
    }
    const words = [...this.senses.keys()]
      .filter((w) => /^[a-z]{3,}$/.test(w) && this.senseCount(w) > 0)
      .sort((x, y) => this.senseCount(y) - this.senseCount(x) || (x < y ? -1 : 1))
      .slice(0, nWords);
    if (words.length < 2) throw new RangeError('WordNetNouns.similarityList: fewer than 2 tagged nouns');
    // Words under each synset within two hypernym steps of a word's first sense.
    const near = (w: string) => {
      const a = this.ancestors(this.synsets(w)[0]!);
      return [...a].filter(([, d]) => d <= 2).map(([s]) => s);
    };
    const under = new Map<number, string[]>();
    for (const w of words) {
      for (const s of near(w)) {
        const list = under.get(s);
        if (list) list.push(w);
        else under.set(s, [w]);
      }
    }
    const g = new Generator(options.seed ?? 1);
    const pick = <T>(xs: readonly T[]): T => xs[g.randint(0, xs.length, 1)[0]!]!;
    const seen = new Set<string>();
    const out: [string, string, number][] = [];
    const add = (a: string, b: string) => {
      const key = a < b ? `${a} ${b}` : `${b} ${a}`;
      if (a === b || seen.has(key)) return;
      seen.add(key);
      out.push([a, b, this.pathSimilarity(a, b)]);
    };
    for (let tries = 0; out.length < nPairs && tries < 50 * nPairs; tries++) {
      const a = pick(words);
      if (out.length % 2 === 0) {
        const company = [...new Set(near(a).flatMap((s) => under.get(s) ?? []))].filter((w) => w !== a);
        if (company.length > 0) add(a, pick(company.sort()));
      } else {
        add(a, pick(words));
      }
    }
    return out;
  }
}
