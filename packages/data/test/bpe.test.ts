import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BpeTokenizer, type BpeTokenizer as Tokenizer, trainBpe } from '../src/bpe.js';
import { loadMobyDick } from '../src/node/index.js';

/** Seeded 32-bit generator (mulberry32), so the property tests draw the same cases every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Code-point ranges for random text: ASCII, Latin, combining marks, Arabic, CJK, emoji and the joiners. */
const RANGES: [number, number][] = [
  [0x20, 0x7e],
  [0x20, 0x7e],
  [0x09, 0x0d],
  [0xa0, 0x24f],
  [0x300, 0x36f], // combining diacritical marks
  [0x600, 0x6ff],
  [0x4e00, 0x4fff],
  [0x3000, 0x3000], // ideographic space
  [0x1f300, 0x1faff], // emoji (astral: a surrogate pair in JavaScript)
  [0x1f3fb, 0x1f3ff], // skin tones
  [0x200d, 0x200d], // zero-width joiner
  [0xfe0f, 0xfe0f], // variation selector 16
  [0xfeff, 0xfeff], // byte-order mark
  [0x10000, 0x10ffff],
];

function randomText(next: () => number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) {
    const [lo, hi] = RANGES[Math.floor(next() * RANGES.length)]!;
    s += String.fromCodePoint(lo + Math.floor(next() * (hi - lo + 1)));
  }
  return s;
}

function randomBytes(next: () => number, length: number): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = Math.floor(next() * 256);
  return b;
}

const tokens = (tok: Tokenizer, ids: Int32Array) => Array.from(ids, (id) => tok.idToToken(id));
/** Element-wise equality of long id arrays (vitest's deep equality is slow on them). */
const sameIds = (a: Int32Array, b: Int32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const utf8 = new TextEncoder();

describe('trainBpe on the classic corpus (Sennrich et al. 2016: low ×5, lower ×2, newest ×6, widest ×3)', () => {
  // GPT-2 pre-tokenisation gives the pre-tokens ' low' ×5, ' lower' ×2, ' newest' ×6, ' widest' ×3
  // (Ġ is the space). Pair counts at the start:
  //   Ġl 7, lo 7, ow 7, we 8 (lower 2 + newest 6), er 2, Ġn 6, ne 6, ew 6, es 9, st 9, Ġw 3, wi 3, id 3, de 3.
  // Ties go to the pair whose left token's bytes sort first, then the right token's.
  //  1. es 9 = st 9: 'e' < 's'                → e s.   newest = Ġ n e w es t, widest = Ġ w i d es t
  //  2. (es t) 9 is alone at the top          → es t.  Now w·est 6, d·est 3
  //  3. Ġl 7 = lo 7 = ow 7: ' ' sorts first   → Ġ l
  //  4. Ġl·o 7 = ow 7: ' l' < 'o'             → Ġl o
  //  5. Ġlo·w 7                               → Ġlo w. low = Ġlow; lower = Ġlow e r
  //  6. Ġn 6 = ne 6 = ew 6 = w·est 6          → Ġ n
  //  7. Ġn·e 6 = ew 6 = w·est 6: ' n' first   → Ġn e
  //  8. Ġne·w 6 = w·est 6: ' ne' < 'w'        → Ġne w
  //  9. Ġnew·est 6                            → Ġnew est
  // 10. Ġw 3 = wi 3 = id 3 = d·est 3          → Ġ w
  // 11. Ġw·i 3 = id 3 = d·est 3               → Ġw i
  // 12. Ġwi·d 3 = d·est 3                     → Ġwi d
  // 13. Ġwid·est 3                            → Ġwid est
  // 14. Ġlow·e 2 = er 2: ' low' < 'e'         → Ġlow e
  // 15. Ġlowe·r 2                             → Ġlowe r. Every word is one token; no pairs remain.
  const corpus = ` ${[
    ...Array(5).fill('low'),
    ...Array(2).fill('lower'),
    ...Array(6).fill('newest'),
    ...Array(3).fill('widest'),
  ].join(' ')}`;
  const byHand = [
    'e s',
    'es t',
    'Ġ l',
    'Ġl o',
    'Ġlo w',
    'Ġ n',
    'Ġn e',
    'Ġne w',
    'Ġnew est',
    'Ġ w',
    'Ġw i',
    'Ġwi d',
    'Ġwid est',
    'Ġlow e',
    'Ġlowe r',
  ];

  it('learns the 15 merges derived by hand, then stops short of vocabSize', () => {
    const tok = trainBpe(corpus, { vocabSize: 1000 });
    expect(tok.merges().map(([a, b]) => `${a} ${b}`)).toEqual(byHand);
    expect(tok.vocabSize).toBe(256 + 15);
    expect(tok.idToToken(256)).toBe('es');
    expect(tok.idToToken(270)).toBe('Ġlower');
  });

  it('stops at vocabSize and at minFrequency', () => {
    expect(trainBpe(corpus, { vocabSize: 258 }).merges()).toEqual([
      ['e', 's'],
      ['es', 't'],
    ]);
    const min3 = trainBpe(corpus, { vocabSize: 1000, minFrequency: 3 });
    expect(min3.merges().map(([a, b]) => `${a} ${b}`)).toEqual(byHand.slice(0, 13));
    expect(trainBpe(corpus, { vocabSize: 256 }).numMerges).toBe(0);
  });

  it('encodes an unseen word with the merges in order: lowest = Ġlow + est', () => {
    const tok = trainBpe(corpus, { vocabSize: 1000 });
    // Ġ l o w e s t → (e s) Ġ l o w es t → (es t) Ġ l o w est → (Ġ l)(Ġl o)(Ġlo w) Ġlow est.
    expect(tokens(tok, tok.encode(' lowest'))).toEqual(['Ġlow', 'est']);
    // 'lowest' without the space: no merge starts with 'l', so l o w stay bytes.
    expect(tokens(tok, tok.encode('lowest'))).toEqual(['l', 'o', 'w', 'est']);
    expect(tokens(tok, tok.encode(' newer widest'))).toEqual(['Ġnew', 'e', 'r', 'Ġwidest']);
  });

  it('counts overlapping pairs in runs but merges them left to right without overlap', () => {
    // a×8: (a a) 7 → aa aa aa aa; (aa aa) 3 → aaaa aaaa; (aaaa aaaa) 1 < minFrequency 2.
    const eight = trainBpe('aaaaaaaa', { vocabSize: 300, pretokenize: 'none' });
    expect(eight.merges().map(([a, b]) => `${a} ${b}`)).toEqual(['a a', 'aa aa']);
    // a×5: (a a) 4 → aa aa a; (aa aa) 1 = (aa a) 1, right 'a' sorts before 'aa' → aa aaa; → aaaaa.
    const five = trainBpe('aaaaa', { vocabSize: 300, pretokenize: 'none', minFrequency: 1 });
    expect(five.merges().map(([a, b]) => `${a} ${b}`)).toEqual(['a a', 'aa a', 'aa aaa']);
    // a×7 with those merges in order: aa aa aa a → aa aa aaa → aa aaaaa.
    expect(tokens(five, five.encode('aaaaaaa'))).toEqual(['aa', 'aaaaa']);
  });

  it('with no training text or vocabSize 256 it is the plain byte code (id = byte)', () => {
    const empty = trainBpe([], { vocabSize: 300 });
    expect(empty.vocabSize).toBe(256);
    expect(Array.from(empty.encode('hi é'))).toEqual([0x68, 0x69, 0x20, 0xc3, 0xa9]);
    expect(Array.from(trainBpe('', { vocabSize: 256 }).encode(''))).toEqual([]);
    expect(empty.decode([])).toBe('');
  });

  it("'none' pre-tokenisation lets merges cross spaces; 'gpt2' never does", () => {
    const text = 'ab ab ab ab ab';
    // One word a b Ġ a b Ġ … : a·b 5 → ab; then ab·Ġ 4 = Ġ·ab 4, ' ' sorts first → Ġab; then
    // Ġab·Ġab 3 (ab·Ġab 1) → ĠabĠab, a token with a space inside; then every pair is seen once.
    const none = trainBpe(text, { vocabSize: 300, pretokenize: 'none' });
    expect(none.merges().map(([a, b]) => `${a} ${b}`)).toEqual(['a b', 'Ġ ab', 'Ġab Ġab']);
    const gpt2 = trainBpe(text, { vocabSize: 300 });
    expect(gpt2.merges().map(([a, b]) => `${a} ${b}`)).toEqual(['a b', 'Ġ ab']);
  });
});

describe('trainBpe on Moby Dick', () => {
  let text: string;
  let tok: Tokenizer;
  let seconds: number;
  beforeAll(async () => {
    text = await loadMobyDick();
    const t0 = performance.now();
    tok = trainBpe(text, { vocabSize: 4096, specialTokens: ['<|endoftext|>', '[CLS]', '[MASK]', '[PAD]'] });
    seconds = (performance.now() - t0) / 1000;
  });

  it('learns the same first 600 merges as a naive recount in Python', () => {
    // Golden from a separate implementation (Python, the `regex` module with GPT-2's pattern,
    // every pair recounted over all words at every step, ties by (−count, left bytes, right
    // bytes)): the SHA-256 of its 600 merges joined by '\n', and the first 24 of them.
    const small = trainBpe(text, { vocabSize: 256 + 600 });
    const merges = small.merges().map(([a, b]) => `${a} ${b}`);
    expect(merges.slice(0, 24)).toEqual([
      'Ġ t',
      'h e',
      'Ġ a',
      'i n',
      'Ġt he',
      'Ġ s',
      'Ġ o',
      'Ġ w',
      'r e',
      'h a',
      'n d',
      'e r',
      'Ġ b',
      'i s',
      'in g',
      'l e',
      'o u',
      'i t',
      'â Ģ', // the first two bytes of an em dash (E2 80 94)
      'Ġ m',
      'e d',
      'Ġ f',
      'Ġ c',
      'Ġo f',
    ]);
    expect(createHash('sha256').update(merges.join('\n')).digest('hex')).toBe(
      '9ddacab4ffb0f23453a88b5cb9d593b8ccc9d91625d6abf6bd5cbf525efb5dae',
    );
    // The same Python code applying those merges one by one to each pre-token.
    const sentence =
      "Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse, I thought I'd sail about.";
    expect(tokens(small, small.encode(sentence))).toEqual([
      'C',
      'all',
      'Ġme',
      'ĠI',
      'sh',
      'm',
      'a',
      'el',
      '.',
      'ĠS',
      'ome',
      'Ġye',
      'ars',
      'Ġag',
      'o',
      'âĢĶ',
      'n',
      'ever',
      'Ġm',
      'ind',
      'Ġhow',
      'Ġlong',
      'Ġpre',
      'c',
      'ise',
      'ly',
      'âĢĶ',
      'ha',
      'ving',
      'Ġlittle',
      'Ġor',
      'Ġno',
      'Ġm',
      'one',
      'y',
      'Ġin',
      'Ġmy',
      'Ġp',
      'ur',
      'se',
      ',',
      'ĠI',
      'Ġthought',
      'ĠI',
      "'",
      'd',
      'Ġsail',
      'Ġabout',
      '.',
    ]);
  });

  it('encodes as the merges applied one by one in order (the definition), on book text and random text', () => {
    // The reference: every pre-token's bytes, each merge in rank order replacing its pair left to
    // right. Slow (every merge visits every pre-token) but plainly right.
    const ranked = tok.merges();
    const naive = (s: string) => {
      const out: string[] = [];
      for (const piece of s.match(
        /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu,
      ) ?? []) {
        let w = Array.from(utf8.encode(piece), (b) => tok.idToToken(b));
        for (const [a, b] of ranked) {
          if (w.length < 2) break;
          const next: string[] = [];
          for (let i = 0; i < w.length; i++) {
            if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
              next.push(a + b);
              i++;
            } else next.push(w[i]!);
          }
          w = next;
        }
        out.push(...w);
      }
      return out;
    };
    const next = rng(4);
    const samples = [
      text.slice(300_000, 306_000),
      randomText(next, 300),
      ` ${'ha'.repeat(40)} ${'-'.repeat(33)}`,
    ];
    for (const s of samples) expect(tokens(tok, tok.encode(s))).toEqual(naive(s));
  });

  it('learns the same merges whatever the order of its texts (ties are broken by bytes, not by order)', () => {
    const paragraphs = text.split(/\n\s*\n/);
    const forward = trainBpe(paragraphs, { vocabSize: 600 }).merges();
    const backward = trainBpe(paragraphs.slice().reverse(), { vocabSize: 600 }).merges();
    expect(backward).toEqual(forward);
    expect(forward.length).toBe(600 - 256);
  });

  it('trains to 4,096 tokens in seconds (well under 20 s even on a loaded machine)', () => {
    expect(tok.vocabSize).toBe(4096);
    expect(tok.numMerges).toBe(4096 - 256 - 4);
    expect(seconds).toBeLessThan(20);
  });

  it('compresses Moby Dick to more than 3.3 bytes per token (3.41 measured)', () => {
    const ids = tok.encode(text);
    const bytesPerToken = utf8.encode(text).length / ids.length;
    expect(bytesPerToken).toBeGreaterThan(3.3);
    expect(bytesPerToken).toBeLessThan(3.6);
    expect(tok.decode(ids)).toBe(text);
  });

  it('holds its compression on text it did not see: trained on 90 %, > 3.25 bytes/token on the rest (3.37 measured)', () => {
    const cut = Math.floor(text.length * 0.9);
    const held = text.slice(cut);
    const part = trainBpe(text.slice(0, cut), { vocabSize: 4096 });
    expect(utf8.encode(held).length / part.encode(held).length).toBeGreaterThan(3.25);
  });

  it('never merges across pre-token boundaries', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true });
    let checked = 0;
    for (let id = 256 + 4; id < tok.vocabSize; id++) {
      let s: string;
      try {
        s = fatal.decode(tok.tokenBytes(id));
      } catch {
        continue; // part of a multi-byte character
      }
      checked++;
      // A GPT-2 pre-token is one run of letters, of digits or of other symbols after at most one
      // space, or white space alone: so no letter or digit ends a run inside a token, and no space
      // follows anything but a space.
      expect(s, `token ${id} ${JSON.stringify(s)}`).not.toMatch(/\p{L}[^\p{L}]|\p{N}[^\p{N}]|\S\s/u);
    }
    expect(checked).toBeGreaterThan(3500);
  });

  it('keeps special tokens whole, in training and in encoding', () => {
    expect([256, 257, 258, 259].map((id) => tok.idToToken(id))).toEqual([
      '<|endoftext|>',
      '[CLS]',
      '[MASK]',
      '[PAD]',
    ]);
    expect(tok.specialTokens).toEqual(['<|endoftext|>', '[CLS]', '[MASK]', '[PAD]']);
    const s = '[CLS] the whale[MASK]<|endoftext|>[PAD][PAD]';
    const ids = tok.encode(s);
    expect(Array.from(ids.slice(0, 1))).toEqual([257]);
    expect(Array.from(ids.slice(-4))).toEqual([258, 256, 259, 259]);
    expect(tokens(tok, ids.slice(1, -4))).toEqual(['Ġthe', 'Ġwhale']);
    expect(tok.decode(ids)).toBe(s);
    expect(tok.decode(ids, { skipSpecial: true })).toBe(' the whale');
    expect(tok.isSpecial(258)).toBe(true);
    expect(tok.isSpecial(300)).toBe(false);
    // As plain text the special tokens are just bytes (and still round-trip).
    const plain = tok.encode(s, { allowSpecial: false });
    expect(Array.from(plain).some((id) => tok.isSpecial(id))).toBe(false);
    expect(tok.decode(plain)).toBe(s);
  });

  it('round-trips through a saved file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'myelin-bpe-'));
    try {
      const file = join(dir, 'moby-4096.json');
      writeFileSync(file, tok.save());
      const back = BpeTokenizer.load(readFileSync(file, 'utf8'));
      expect(back.vocabSize).toBe(4096);
      expect(back.merges()).toEqual(tok.merges());
      expect(back.specialTokens).toEqual(tok.specialTokens);
      expect(back.pretokenize).toBe('gpt2');
      const sample = `${text.slice(100_000, 160_000)}<|endoftext|>[MASK]`;
      expect(sameIds(back.encode(sample), tok.encode(sample))).toBe(true);
      expect(back.save()).toBe(tok.save());
      const json = JSON.parse(back.save());
      expect(json.version).toBe(1);
      expect(json.vocab.Ġthe).toBe(back.tokenToId('Ġthe'));
      expect(json.specialTokens).toEqual({ '<|endoftext|>': 256, '[CLS]': 257, '[MASK]': 258, '[PAD]': 259 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('maps tokens to ids and back', () => {
    const the = tok.tokenToId('Ġthe');
    expect(the).toBeGreaterThan(259);
    expect(tok.idToToken(the!)).toBe('Ġthe');
    expect(tok.decode([the!])).toBe(' the');
    expect(Array.from(tok.tokenBytes(the!))).toEqual([0x20, 0x74, 0x68, 0x65]);
    expect(tok.tokenToId('[MASK]')).toBe(258);
    expect(tok.tokenToId('A')).toBe(65);
    expect(tok.tokenToId('Ġ')).toBe(32);
    expect(tok.tokenToId('Ċ')).toBe(10);
    expect(tok.tokenToId('not a token')).toBeUndefined();
    expect(tok.encode(' the')).toEqual(Int32Array.of(the!));
  });

  describe('round-trips every byte sequence (seeded property test)', () => {
    let tiny: Tokenizer;
    beforeAll(() => {
      tiny = trainBpe(['ab ab abc', 'ééé 😀😀 😀😀'], {
        vocabSize: 300,
        minFrequency: 1,
        specialTokens: ['<s>', '<s>>'],
      });
    });
    const both = () => [tok, tiny];

    it('random byte strings (including ill-formed UTF-8)', () => {
      const next = rng(1);
      for (let trial = 0; trial < 300; trial++) {
        const b = randomBytes(next, Math.floor(next() * 200));
        for (const t of both()) expect(t.decodeBytes(t.encodeBytes(b))).toEqual(b);
      }
    });

    it('random Unicode with emoji, combining marks, joiners and a byte-order mark', () => {
      const next = rng(2);
      for (let trial = 0; trial < 300; trial++) {
        const s = randomText(next, Math.floor(next() * 80));
        for (const t of both()) {
          const ids = t.encode(s);
          expect(t.decode(ids)).toBe(s);
          expect(t.encodeBytes(utf8.encode(s))).toEqual(ids);
        }
      }
      const s = '\uFEFFe\u0301 👩🏽‍🚀 x\u0308\u0304 🏳️‍🌈 naïve café 1234567 \t\r\n  x';
      for (const t of both()) expect(t.decode(t.encode(s))).toBe(s);
    });

    it('the empty string, all 256 bytes, and runs of one byte', () => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const reversed = all.slice().reverse();
      for (const t of both()) {
        expect(t.encode('')).toEqual(new Int32Array(0));
        expect(t.encodeBytes(new Uint8Array(0))).toEqual(new Int32Array(0));
        expect(t.decodeBytes(t.encodeBytes(all))).toEqual(all);
        expect(t.decodeBytes(t.encodeBytes(reversed))).toEqual(reversed);
        for (const b of [0x00, 0x20, 0x61, 0x80, 0xc3, 0xff]) {
          const run = new Uint8Array(1000).fill(b);
          expect(t.decodeBytes(t.encodeBytes(run))).toEqual(run);
        }
      }
      // Runs of ill-formed bytes are pre-tokens too: 0xff never becomes valid text.
      expect(tiny.encodeBytes(Uint8Array.of(0xff))).toEqual(Int32Array.of(0xff));
    });

    it('matches the longest special token first', () => {
      expect(Array.from(tiny.encode('<s>><s>'))).toEqual([257, 256]);
      expect(tiny.decode(tiny.encode('a<s>b<s>>c'))).toBe('a<s>b<s>>c');
    });
  });

  it('decodes a cut-off id sequence with U+FFFD, but decodeBytes gives the exact bytes', () => {
    const whale = '🐋'; // F0 9F 90 8B: rare in Moby Dick, so bytes
    const ids = tok.encode(`a ${whale}`);
    const cut = ids.slice(0, ids.length - 1);
    expect(tok.decode(cut)).toBe('a \uFFFD');
    expect(Array.from(tok.decodeBytes(cut))).toEqual([0x61, 0x20, 0xf0, 0x9f, 0x90]);
  });

  it('encodes the same after its word cache fills up and is cleared', () => {
    const next = rng(3);
    const words: string[] = [];
    for (let i = 0; i < 70_000; i++) words.push(` w${Math.floor(next() * 1e9).toString(36)}`);
    const s = words.join('');
    const before = words.slice(0, 50).map((w) => Array.from(tok.encode(w)));
    const ids = tok.encode(s);
    expect(tok.decode(ids)).toBe(s);
    expect(sameIds(tok.encode(s), ids)).toBe(true);
    expect(words.slice(0, 50).map((w) => Array.from(tok.encode(w)))).toEqual(before);
  });

  it('fails fast on a large file garbled at its very end', () => {
    const big = JSON.parse(tok.save());
    const last = big.merges.length - 1;
    big.merges[last] = `${big.merges[last]}x`;
    const t0 = performance.now();
    expect(() => BpeTokenizer.load(JSON.stringify(big))).toThrow(new RegExp(`merge ${last} `));
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('rejects ids outside the vocabulary', () => {
    expect(() => tok.decode([1, 2, 4096])).toThrow(
      'BpeTokenizer.decode: id 4096 at position 2 is outside the vocabulary; expected a whole number in [0, 4096)',
    );
    expect(() => tok.decode([-1])).toThrow(/decode: id -1 at position 0 is outside/);
    expect(() => tok.decodeBytes([1.5])).toThrow(/decodeBytes: id 1\.5 at position 0/);
    expect(() => tok.decode(Float64Array.of(Number.NaN))).toThrow(/id NaN/);
    expect(() => tok.idToToken(5000)).toThrow(/idToToken: id 5000 is outside the vocabulary/);
    expect(() => tok.tokenBytes(-3)).toThrow(/tokenBytes: id -3/);
  });

  it('rejects input that is not text or bytes', () => {
    expect(() => tok.encode(42 as unknown as string)).toThrow(
      'BpeTokenizer.encode: expected a string, got 42',
    );
    expect(() => tok.encodeBytes('abc' as unknown as Uint8Array)).toThrow(
      /encodeBytes: expected a Uint8Array, got "abc"/,
    );
    expect(() => tok.decode(null as unknown as number[])).toThrow(
      /decode: expected an array of ids, got null/,
    );
  });
});

describe('trainBpe rejects bad options', () => {
  it('vocabSize below 256 + special tokens, or not a whole number, or huge', () => {
    expect(() => trainBpe('x', { vocabSize: 255 })).toThrow(
      'trainBpe: vocabSize is 255; expected a whole number from 256 (256 bytes + 0 special tokens) to 1048576',
    );
    expect(() => trainBpe('x', { vocabSize: 257, specialTokens: ['[CLS]', '[SEP]'] })).toThrow(
      /vocabSize is 257; expected a whole number from 258 \(256 bytes \+ 2 special tokens\)/,
    );
    expect(() => trainBpe('x', { vocabSize: 300.5 })).toThrow(/vocabSize is 300\.5/);
    expect(() => trainBpe('x', { vocabSize: 2 ** 21 })).toThrow(/vocabSize is 2097152/);
  });

  it('bad special tokens, minFrequency, pretokenize and texts', () => {
    expect(() => trainBpe('x', { vocabSize: 300, specialTokens: ['[A]', '[A]'] })).toThrow(
      'trainBpe: special token "[A]" is listed twice',
    );
    expect(() => trainBpe('x', { vocabSize: 300, specialTokens: [''] })).toThrow(
      /special token 0 is ""; expected a non-empty string/,
    );
    expect(() => trainBpe('x', { vocabSize: 300, minFrequency: 0 })).toThrow(/minFrequency is 0/);
    expect(() => trainBpe('x', { vocabSize: 300, pretokenize: 'words' as 'gpt2' })).toThrow(
      /pretokenize is "words"; expected 'gpt2' or 'none'/,
    );
    expect(() => trainBpe(['ok', 3 as unknown as string], { vocabSize: 300 })).toThrow(
      'trainBpe: text 1 is 3; expected a string',
    );
    expect(() => trainBpe(7 as unknown as string, { vocabSize: 300 })).toThrow(
      /expected a string or an iterable of strings, got 7/,
    );
  });
});

describe('BpeTokenizer.load rejects hostile and garbled files', () => {
  let good: Record<string, unknown>;
  let goodText: string;
  beforeAll(() => {
    goodText = trainBpe(' low low lower lower newest newest', {
      vocabSize: 300,
      specialTokens: ['<|endoftext|>'],
    }).save();
    good = JSON.parse(goodText);
  });
  const edit = (change: (j: Record<string, unknown>) => void) => {
    const j = structuredClone(good);
    change(j);
    return JSON.stringify(j);
  };
  const vocab = (j: Record<string, unknown>) => j.vocab as Record<string, number>;
  const merges = (j: Record<string, unknown>) => j.merges as string[];

  it('loads the good file', () => {
    const tok = BpeTokenizer.load(goodText);
    expect(tok.decode(tok.encode(' lowest<|endoftext|>'))).toBe(' lowest<|endoftext|>');
    expect(tokens(tok, tok.encode(' lower'))).toEqual(['Ġlower']);
  });

  it.each([
    ['not JSON', () => '{"type": ', /BpeTokenizer\.load: not JSON/],
    ['not an object', () => '[1, 2]', /expected a JSON object, got an array/],
    [
      'another format',
      () => edit((j) => (j.type = 'wordpiece')),
      /type is "wordpiece"; expected "byte-level-bpe"/,
    ],
    ['a wrong version', () => edit((j) => (j.version = 2)), /unsupported version 2; expected 1/],
    ['an unknown pre-tokeniser', () => edit((j) => (j.pretokenize = 'bert')), /pretokenize is "bert"/],
    ['vocab as an array', () => edit((j) => (j.vocab = [])), /vocab is an array; expected an object/],
    ['merges as a string', () => edit((j) => (j.merges = 'a b')), /merges is "a b"; expected an array/],
    [
      'duplicate ids',
      () => edit((j) => (vocab(j).Ġlow = vocab(j).Ġlo!)),
      /token "Ġl(ow|o)" has id \d+, which another token has too/,
    ],
    [
      'an id out of range',
      () => edit((j) => (vocab(j).Ġlow = 1e12)),
      /token "Ġlow" has id 1000000000000; expected a whole number in \[0, \d+\)/,
    ],
    ['a fractional id', () => edit((j) => (vocab(j).a = 0.5)), /token "a" has id 0\.5/],
    [
      'a special token sharing an id',
      () => edit((j) => ((j.specialTokens as Record<string, number>)['<|endoftext|>'] = 65)),
      /has id 65, which another token has too/,
    ],
    [
      'a missing byte',
      () =>
        edit((j) => {
          const v = vocab(j);
          v.AAAAAAA = v.A!;
          delete v.A;
        }),
      /the byte 0x41 \(A\) has no token/,
    ],
    [
      'a character outside the byte alphabet',
      () =>
        edit((j) => {
          const v = vocab(j);
          v['Ġl\u0000'] = v.Ġl!;
          delete v.Ġl;
        }),
      /holds U\+0000, which is not in the byte alphabet/,
    ],
    [
      'a merge of an unknown token',
      () => edit((j) => (merges(j)[3] = 'Ġl zz')),
      /merge 3 \("Ġl zz"\) uses "zz", which is not in the vocabulary/,
    ],
    [
      'a merge before its parts exist',
      () => edit((j) => merges(j).reverse()),
      /merge \d+ \(".+"\) uses ".+" before any merge makes it/,
    ],
    [
      'a merge that makes an unknown token',
      () => edit((j) => merges(j).push('z z')),
      /makes "zz", which is not in the vocabulary/,
    ],
    [
      'a repeated merge',
      () => edit((j) => merges(j).push(merges(j)[0]!)),
      /merge \d+ \(".+"\) repeats merge 0/,
    ],
    [
      'a malformed merge',
      () => edit((j) => (merges(j)[0] = 'Ġl')),
      /merge 0 is "Ġl"; expected two tokens joined by one space/,
    ],
    ['a merge with two spaces', () => edit((j) => (merges(j)[0] = 'a  b')), /merge 0 is "a {2}b"/],
    [
      'a token no merge makes',
      () => edit((j) => merges(j).pop()),
      /token ".+" \(id \d+\) is neither a byte nor made by a merge/,
    ],
    [
      'an empty special token',
      () => edit((j) => (j.specialTokens = { '': 299 })),
      /a special token is the empty string/,
    ],
  ] as [string, () => string, RegExp][])('%s', (_name, make, message) => {
    expect(() => BpeTokenizer.load(make())).toThrow(message);
  });

  it('refuses huge files and vocabularies before reading them', () => {
    expect(() => BpeTokenizer.load(' '.repeat(64 * 1024 * 1024 + 1))).toThrow(
      'BpeTokenizer.load: the file is 67108865 characters; the limit is 67108864',
    );
    expect(() => BpeTokenizer.load(goodText, { maxVocabSize: 260 })).toThrow(
      /the vocabulary has \d+ tokens; the limit is 260/,
    );
    expect(() => BpeTokenizer.load(goodText, { maxChars: 100 })).toThrow(/the limit is 100$/);
    expect(() => BpeTokenizer.load(undefined as unknown as string)).toThrow(/expected the JSON text/);
  });
});
