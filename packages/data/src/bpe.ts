/**
 * Byte-level byte-pair encoding (Sennrich et al., 2016, as GPT-2 applies it to bytes): the 256
 * bytes are the base vocabulary, so every byte sequence encodes and decodes back exactly; merges
 * of the most frequent adjacent pair are learned inside pre-tokens (words, numbers, punctuation
 * runs, white space) and never across them. Browser-safe (no Node modules); a tokenizer saves to
 * and loads from one JSON text.
 */

/** How text is cut into pre-tokens before merging: GPT-2's regex, or not at all. */
export type BpePretokenize = 'gpt2' | 'none';

export interface BpeTrainOptions {
  /** Size of the final vocabulary: 256 bytes + special tokens + merges. At most 1,048,576. */
  vocabSize: number;
  /** Stop when the most frequent pair is seen fewer times than this (default 2). */
  minFrequency?: number;
  /**
   * Tokens kept whole (e.g. `<|endoftext|>`, `[CLS]`, `[MASK]`, `[PAD]`): ids 256, 257, … in this
   * order. In training text they are cut out and never merged with their neighbours; `encode`
   * matches them before pre-tokenising.
   */
  specialTokens?: readonly string[];
  /** Pre-tokenisation (default 'gpt2'); 'none' lets merges run across a whole text. */
  pretokenize?: BpePretokenize;
}

export interface BpeEncodeOptions {
  /** Match special tokens in the text (default true); false encodes them as plain text. */
  allowSpecial?: boolean;
}

export interface BpeDecodeOptions {
  /** Leave special tokens out of the output (default false). */
  skipSpecial?: boolean;
}

export interface BpeLoadOptions {
  /** Refuse longer files (default 67,108,864 characters). */
  maxChars?: number;
  /** Refuse larger vocabularies (default 1,048,576 tokens). */
  maxVocabSize?: number;
}

/** Ids are below 2^20, so a pair of ids packs into one exact number `a · 2^20 + b`. */
const MAX_VOCAB = 1 << 20;
const PAIR = 1 << 20;
const MAX_CHARS = 64 * 1024 * 1024;
const FORMAT = 'byte-level-bpe';
const VERSION = 1;
/** Pre-tokens up to this many characters are cached with their ids. */
const CACHE_PIECE_CHARS = 256;
const CACHE_ENTRIES = 1 << 16;

/**
 * GPT-2's pre-tokeniser (`encoder.py` of openai/gpt-2): English contractions, a letter run, a
 * digit run or a run of other symbols, each with at most one leading space, then white space (a run
 * followed by a word leaves its last space to that word).
 */
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * GPT-2's printable stand-ins for bytes (`bytes_to_unicode`): the printable Latin-1 bytes stand for
 * themselves, the other 68 map to U+0100 upwards (so a space is 'Ġ', a newline 'Ċ'). Token strings
 * in `idToToken` and saved files use them, so no token holds white space or control characters.
 */
const BYTE_CHAR: string[] = [];
const CHAR_BYTE = new Map<string, number>();
{
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    const ch = String.fromCharCode(printable ? b : 256 + extra++);
    BYTE_CHAR.push(ch);
    CHAR_BYTE.set(ch, b);
  }
}

const utf8 = new TextEncoder();
/** Not fatal (ill-formed input becomes U+FFFD); keeps a leading byte-order mark as text. */
const utf8Lenient = new TextDecoder('utf-8', { ignoreBOM: true });

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number') return String(v);
  return typeof v;
}

function bytesToToken(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += BYTE_CHAR[bytes[i]!];
  return s;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Cuts text at special tokens (longest first where one is a prefix of another). */
function specialSplitter(specials: Iterable<string>): RegExp | null {
  const list = [...specials].sort((a, b) => b.length - a.length);
  return list.length === 0 ? null : new RegExp(list.map(escapeRegExp).join('|'), 'g');
}

/** Pre-tokens of `text` in order; their concatenation is `text`. */
function* pieces(text: string, mode: BpePretokenize): Generator<string> {
  if (text === '') return;
  if (mode === 'none') {
    yield text;
    return;
  }
  let at = 0;
  for (const m of text.matchAll(GPT2_SPLIT)) {
    // The regex covers every code point; a gap would be a bug, but is passed on whole regardless.
    if (m.index! > at) yield text.slice(at, m.index);
    yield m[0];
    at = m.index! + m[0].length;
  }
  if (at < text.length) yield text.slice(at);
}

/**
 * Maximal runs of well-formed UTF-8 and of bytes that are not (a stray continuation byte, a
 * truncated or overlong sequence, a surrogate, a code point past U+10FFFF): [start, end, valid].
 */
function utf8Runs(bytes: Uint8Array): [number, number, boolean][] {
  const runs: [number, number, boolean][] = [];
  const push = (s: number, e: number, valid: boolean) => {
    const last = runs[runs.length - 1];
    if (last && last[2] === valid && last[1] === s) last[1] = e;
    else runs.push([s, e, valid]);
  };
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let n = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (b < 0x80) n = 1;
    else if (b >= 0xc2 && b <= 0xdf) n = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 3;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 4;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // past U+10FFFF
    }
    let ok = n > 0 && i + n <= bytes.length;
    for (let k = 1; ok && k < n; k++) {
      const c = bytes[i + k]!;
      ok = k === 1 ? c >= lo && c <= hi : c >= 0x80 && c <= 0xbf;
    }
    if (ok) {
      push(i, i + n, true);
      i += n;
    } else {
      push(i, i + 1, false);
      i += 1;
    }
  }
  return runs;
}

// --- a binary min-heap of numbers, for the encoder's (rank, position) keys ----------------------

function heapPush(h: number[], v: number): void {
  let i = h.length;
  h.push(v);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]! <= v) break;
    h[i] = h[p]!;
    i = p;
  }
  h[i] = v;
}

function heapPop(h: number[]): number {
  const top = h[0]!;
  const last = h.pop()!;
  const n = h.length;
  if (n > 0) {
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && h[c + 1]! < h[c]!) c++;
      if (h[c]! >= last) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
  return top;
}

/** What a tokenizer is made of; built by `trainBpe` or `BpeTokenizer.load`, already checked. */
interface BpeModel {
  /** Bytes of every id (special tokens: their UTF-8). */
  tokens: Uint8Array[];
  /** Id of each byte value. */
  byteToId: Int32Array;
  /** Merge r joins `left[r]` and `right[r]` into `result[r]`; earlier merges apply first. */
  left: Int32Array;
  right: Int32Array;
  result: Int32Array;
  special: Map<string, number>;
  pretokenize: BpePretokenize;
}

let construct: (m: BpeModel) => BpeTokenizer;

/**
 * A byte-level BPE tokenizer: `encode` text (or `encodeBytes`) to ids, `decode` them back, `save`
 * to JSON and `BpeTokenizer.load` it again. Make one with `trainBpe` or `BpeTokenizer.load`.
 *
 * @example
 * const tok = trainBpe(await loadMobyDick(), { vocabSize: 4096, specialTokens: ['<|endoftext|>'] });
 * const ids = tok.encode('Call me Ishmael.<|endoftext|>'); // Int32Array
 * tok.decode(ids); // 'Call me Ishmael.<|endoftext|>'
 * const again = BpeTokenizer.load(tok.save());
 */
export class BpeTokenizer {
  /** How text is cut before merging. */
  readonly pretokenize: BpePretokenize;
  /** The special tokens, by id. */
  readonly specialTokens: readonly string[];
  private readonly tokens: Uint8Array[];
  private readonly byteToId: Int32Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly result: Int32Array;
  /** Pair key `a · 2^20 + b` → merge rank. */
  private readonly rank = new Map<number, number>();
  private readonly special: Map<string, number>;
  /** Id → special token. */
  private readonly specialIds: Map<number, string>;
  private readonly splitter: RegExp | null;
  private readonly cache = new Map<string, Int32Array>();
  private tokenStrings: Map<string, number> | undefined;

  static {
    construct = (m) => new BpeTokenizer(m);
  }

  private constructor(m: BpeModel) {
    this.tokens = m.tokens;
    this.byteToId = m.byteToId;
    this.left = m.left;
    this.right = m.right;
    this.result = m.result;
    this.special = m.special;
    this.specialIds = new Map([...m.special].map(([t, id]) => [id, t]));
    this.specialTokens = [...m.special.keys()].sort((a, b) => m.special.get(a)! - m.special.get(b)!);
    this.splitter = specialSplitter(m.special.keys());
    this.pretokenize = m.pretokenize;
    for (let r = 0; r < m.left.length; r++) this.rank.set(m.left[r]! * PAIR + m.right[r]!, r);
  }

  /** Number of ids: 256 bytes + special tokens + tokens made by merges. */
  get vocabSize(): number {
    return this.tokens.length;
  }

  /** Number of merges, in the order they apply. */
  get numMerges(): number {
    return this.left.length;
  }

  /** The merges in order, as pairs of token strings (GPT-2's `merges.txt` notation). */
  merges(): [string, string][] {
    const out: [string, string][] = [];
    for (let r = 0; r < this.left.length; r++) {
      out.push([this.idToToken(this.left[r]!), this.idToToken(this.right[r]!)]);
    }
    return out;
  }

  /**
   * A token's string: a special token as written, any other in GPT-2's byte alphabet (a leading
   * space shows as 'Ġ', so `' the'` is `'Ġthe'`).
   */
  idToToken(id: number): string {
    this.checkId('idToToken', id);
    return this.specialIds.get(id) ?? bytesToToken(this.tokens[id]!);
  }

  /** The id of a token string as `idToToken` writes it (special tokens first), or undefined. */
  tokenToId(token: string): number | undefined {
    if (typeof token !== 'string') {
      throw new TypeError(`BpeTokenizer.tokenToId: expected a string, got ${describe(token)}`);
    }
    const s = this.special.get(token);
    if (s !== undefined) return s;
    if (!this.tokenStrings) {
      this.tokenStrings = new Map();
      for (let id = 0; id < this.tokens.length; id++) {
        if (!this.specialIds.has(id)) this.tokenStrings.set(bytesToToken(this.tokens[id]!), id);
      }
    }
    return this.tokenStrings.get(token);
  }

  /** The bytes a token decodes to (a copy). */
  tokenBytes(id: number): Uint8Array {
    this.checkId('tokenBytes', id);
    return this.tokens[id]!.slice();
  }

  /** Whether `id` is a special token. */
  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /**
   * Encode text: special tokens first (unless `allowSpecial` is false), then pre-tokens, each
   * merged on its own from its UTF-8 bytes. A lone surrogate (not Unicode) encodes as U+FFFD.
   */
  encode(text: string, options: BpeEncodeOptions = {}): Int32Array {
    if (typeof text !== 'string') {
      throw new TypeError(`BpeTokenizer.encode: expected a string, got ${describe(text)}`);
    }
    const out: number[] = [];
    this.encodeText(text, options.allowSpecial !== false, out);
    return Int32Array.from(out);
  }

  /**
   * Encode any bytes: well-formed UTF-8 runs as `encode` does, each maximal run of ill-formed
   * bytes as one pre-token, so `decodeBytes(encodeBytes(b))` is `b` exactly.
   */
  encodeBytes(bytes: Uint8Array, options: BpeEncodeOptions = {}): Int32Array {
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError(`BpeTokenizer.encodeBytes: expected a Uint8Array, got ${describe(bytes)}`);
    }
    const out: number[] = [];
    const allow = options.allowSpecial !== false;
    for (const [s, e, valid] of utf8Runs(bytes)) {
      if (valid) this.encodeText(utf8Lenient.decode(bytes.subarray(s, e)), allow, out);
      else this.mergeWord(bytes, s, e, out);
    }
    return Int32Array.from(out);
  }

  /**
   * Decode ids to text. Ill-formed UTF-8 (as from a cut-off id sequence) becomes U+FFFD; use
   * `decodeBytes` for the exact bytes.
   */
  decode(ids: ArrayLike<number>, options: BpeDecodeOptions = {}): string {
    return utf8Lenient.decode(this.bytesOf('decode', ids, options.skipSpecial === true));
  }

  /** Decode ids to the exact bytes they stand for. */
  decodeBytes(ids: ArrayLike<number>, options: BpeDecodeOptions = {}): Uint8Array {
    return this.bytesOf('decodeBytes', ids, options.skipSpecial === true);
  }

  /**
   * The tokenizer as JSON: `{ type: 'byte-level-bpe', version: 1, pretokenize, specialTokens:
   * {token: id}, vocab: {token: id}, merges: ['Ġ t', …] }`, token strings in GPT-2's byte alphabet.
   */
  save(): string {
    const vocab: [string, number][] = [];
    for (let id = 0; id < this.tokens.length; id++) {
      if (!this.specialIds.has(id)) vocab.push([bytesToToken(this.tokens[id]!), id]);
    }
    return JSON.stringify({
      type: FORMAT,
      version: VERSION,
      pretokenize: this.pretokenize,
      specialTokens: Object.fromEntries(this.special),
      vocab: Object.fromEntries(vocab),
      merges: this.merges().map(([a, b]) => `${a} ${b}`),
    });
  }

  /**
   * Read a tokenizer written by `save`. Every part is checked, in time linear in the file's
   * length: the format and version, ids (whole numbers, no two alike, none missing), the 256 byte
   * tokens, token strings in the byte alphabet, each merge joining tokens that exist by then
   * (bytes or earlier merges) into a token of the vocabulary, and every longer token made by a
   * merge. Anything else throws an error saying what is wrong where.
   */
  static load(text: string, options: BpeLoadOptions = {}): BpeTokenizer {
    const where = 'BpeTokenizer.load';
    const fail = (msg: string): never => {
      throw new Error(`${where}: ${msg}`);
    };
    if (typeof text !== 'string') {
      throw new TypeError(`${where}: expected the JSON text of a saved tokenizer, got ${describe(text)}`);
    }
    const maxChars = options.maxChars ?? MAX_CHARS;
    const maxVocab = Math.min(options.maxVocabSize ?? MAX_VOCAB, MAX_VOCAB);
    if (text.length > maxChars) fail(`the file is ${text.length} characters; the limit is ${maxChars}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      fail(`not JSON (${(e as Error).message})`);
    }
    const isObject = (v: unknown): v is Record<string, unknown> =>
      typeof v === 'object' && v !== null && !Array.isArray(v);
    if (!isObject(json)) return fail(`expected a JSON object, got ${describe(json)}`);
    if (json.type !== FORMAT) fail(`type is ${describe(json.type)}; expected "${FORMAT}"`);
    if (json.version !== VERSION) fail(`unsupported version ${describe(json.version)}; expected ${VERSION}`);
    const pretokenize = json.pretokenize;
    if (pretokenize !== 'gpt2' && pretokenize !== 'none') {
      fail(`pretokenize is ${describe(pretokenize)}; expected "gpt2" or "none"`);
    }
    const { vocab, specialTokens, merges } = json;
    if (!isObject(vocab)) return fail(`vocab is ${describe(vocab)}; expected an object {token: id}`);
    if (!isObject(specialTokens)) {
      return fail(`specialTokens is ${describe(specialTokens)}; expected an object {token: id}`);
    }
    if (!Array.isArray(merges))
      return fail(`merges is ${describe(merges)}; expected an array of "a b" strings`);
    const vocabEntries = Object.entries(vocab);
    const specialEntries = Object.entries(specialTokens);
    const size = vocabEntries.length + specialEntries.length;
    if (size > maxVocab) fail(`the vocabulary has ${size} tokens; the limit is ${maxVocab}`);

    const tokens: (Uint8Array | undefined)[] = new Array(size);
    const checkId = (what: string, id: unknown) => {
      if (!(typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < size)) {
        fail(`${what} has id ${describe(id)}; expected a whole number in [0, ${size})`);
      }
      if (tokens[id as number] !== undefined) fail(`${what} has id ${id}, which another token has too`);
    };
    const special = new Map<string, number>();
    for (const [s, id] of specialEntries) {
      if (s === '') fail('a special token is the empty string');
      checkId(`special token ${describe(s)}`, id);
      tokens[id as number] = utf8.encode(s);
      special.set(s, id as number);
    }
    const ids = new Map<string, number>();
    for (const [t, id] of vocabEntries) {
      if (t === '') fail(`the empty string is a token (id ${describe(id)})`);
      checkId(`token ${describe(t)}`, id);
      const bytes = new Uint8Array(t.length);
      for (let i = 0; i < t.length; i++) {
        const b = CHAR_BYTE.get(t[i]!);
        if (b === undefined) {
          const code = t.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0');
          fail(`token ${describe(t)} (id ${id}) holds U+${code}, which is not in the byte alphabet`);
        }
        bytes[i] = b!;
      }
      tokens[id as number] = bytes;
      ids.set(t, id as number);
    }
    const byteToId = new Int32Array(256);
    for (let b = 0; b < 256; b++) {
      const id = ids.get(BYTE_CHAR[b]!);
      if (id === undefined)
        fail(`the byte 0x${b.toString(16).padStart(2, '0')} (${BYTE_CHAR[b]}) has no token`);
      byteToId[b] = id!;
    }
    const made = new Uint8Array(size);
    for (const id of byteToId) made[id] = 1;
    const n = merges.length;
    const left = new Int32Array(n);
    const right = new Int32Array(n);
    const result = new Int32Array(n);
    const seen = new Map<number, number>();
    for (let r = 0; r < n; r++) {
      const m = merges[r];
      const cut = typeof m === 'string' ? m.indexOf(' ') : -1;
      if (typeof m !== 'string' || cut <= 0 || cut === m.length - 1 || m.indexOf(' ', cut + 1) !== -1) {
        fail(`merge ${r} is ${describe(m)}; expected two tokens joined by one space`);
      }
      const a = (m as string).slice(0, cut);
      const b = (m as string).slice(cut + 1);
      const ia = ids.get(a);
      const ib = ids.get(b);
      for (const [t, id] of [
        [a, ia],
        [b, ib],
      ] as const) {
        if (id === undefined)
          fail(`merge ${r} (${describe(m)}) uses ${describe(t)}, which is not in the vocabulary`);
        if (!made[id!]) {
          fail(`merge ${r} (${describe(m)}) uses ${describe(t)} before any merge makes it`);
        }
      }
      const key = ia! * PAIR + ib!;
      if (seen.has(key)) fail(`merge ${r} (${describe(m)}) repeats merge ${seen.get(key)}`);
      seen.set(key, r);
      const joined = ids.get(a + b);
      if (joined === undefined)
        fail(`merge ${r} (${describe(m)}) makes ${describe(a + b)}, which is not in the vocabulary`);
      left[r] = ia!;
      right[r] = ib!;
      result[r] = joined!;
      made[joined!] = 1;
    }
    for (const [t, id] of ids) {
      if (!made[id]) fail(`token ${describe(t)} (id ${id}) is neither a byte nor made by a merge`);
    }
    return construct({
      tokens: tokens as Uint8Array[],
      byteToId,
      left,
      right,
      result,
      special,
      pretokenize: pretokenize as BpePretokenize,
    });
  }

  // --- internals ---------------------------------------------------------------------------------

  private checkId(op: string, id: number, at?: number): void {
    if (!(Number.isInteger(id) && id >= 0 && id < this.tokens.length)) {
      const pos = at === undefined ? '' : ` at position ${at}`;
      throw new RangeError(
        `BpeTokenizer.${op}: id ${describe(id)}${pos} is outside the vocabulary; expected a whole number in [0, ${this.tokens.length})`,
      );
    }
  }

  private bytesOf(op: string, ids: ArrayLike<number>, skipSpecial: boolean): Uint8Array {
    if (ids === null || typeof ids !== 'object' || typeof ids.length !== 'number') {
      throw new TypeError(`BpeTokenizer.${op}: expected an array of ids, got ${describe(ids)}`);
    }
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      this.checkId(op, id, i);
      if (!(skipSpecial && this.specialIds.has(id))) total += this.tokens[id]!.length;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (skipSpecial && this.specialIds.has(id)) continue;
      out.set(this.tokens[id]!, at);
      at += this.tokens[id]!.length;
    }
    return out;
  }

  private encodeText(text: string, allowSpecial: boolean, out: number[]): void {
    const splitter = allowSpecial ? this.splitter : null;
    if (!splitter) {
      this.encodeOrdinary(text, out);
      return;
    }
    let at = 0;
    for (const m of text.matchAll(splitter)) {
      this.encodeOrdinary(text.slice(at, m.index), out);
      out.push(this.special.get(m[0])!);
      at = m.index! + m[0].length;
    }
    this.encodeOrdinary(text.slice(at), out);
  }

  private encodeOrdinary(text: string, out: number[]): void {
    for (const piece of pieces(text, this.pretokenize)) {
      const cacheable = piece.length <= CACHE_PIECE_CHARS;
      const hit = cacheable ? this.cache.get(piece) : undefined;
      if (hit) {
        for (let i = 0; i < hit.length; i++) out.push(hit[i]!);
        continue;
      }
      const bytes = utf8.encode(piece);
      const start = out.length;
      this.mergeWord(bytes, 0, bytes.length, out);
      if (cacheable) {
        if (this.cache.size >= CACHE_ENTRIES) this.cache.clear();
        this.cache.set(piece, Int32Array.from(out.slice(start)));
      }
    }
  }

  /**
   * Merge the bytes [start, end) of one pre-token and append the ids. Symbols sit in a linked
   * list; a heap holds every mergeable adjacent pair keyed by (rank, position), so the lowest-ranked
   * pair merges first and, within a rank, the leftmost: the same result as applying the merges in
   * training order, each left to right, in O(n log n). Stale heap entries are skipped on pop.
   */
  private mergeWord(bytes: Uint8Array, start: number, end: number, out: number[]): void {
    const n = end - start;
    if (n === 0) return;
    if (n === 1) {
      out.push(this.byteToId[bytes[start]!]!);
      return;
    }
    const POS = 2 ** 32;
    const sym = new Int32Array(n);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const heap: number[] = [];
    for (let i = 0; i < n; i++) {
      sym[i] = this.byteToId[bytes[start + i]!]!;
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    for (let i = 0; i + 1 < n; i++) {
      const r = this.rank.get(sym[i]! * PAIR + sym[i + 1]!);
      if (r !== undefined) heapPush(heap, r * POS + i);
    }
    while (heap.length > 0) {
      const key = heapPop(heap);
      const r = Math.floor(key / POS);
      const i = key - r * POS;
      const j = next[i]!;
      if (sym[i] === -1 || j === -1 || this.rank.get(sym[i]! * PAIR + sym[j]!) !== r) continue;
      sym[i] = this.result[r]!;
      sym[j] = -1;
      const k = next[j]!;
      next[i] = k;
      if (k !== -1) prev[k] = i;
      const p = prev[i]!;
      if (p !== -1) {
        const rp = this.rank.get(sym[p]! * PAIR + sym[i]!);
        if (rp !== undefined) heapPush(heap, rp * POS + p);
      }
      if (k !== -1) {
        const rk = this.rank.get(sym[i]! * PAIR + sym[k]!);
        if (rk !== undefined) heapPush(heap, rk * POS + i);
      }
    }
    for (let i = 0; i !== -1; i = next[i]!) out.push(sym[i]!);
  }
}

/**
 * Learn a byte-level BPE tokenizer from text. Pre-tokens are counted once; each step merges the
 * most frequent adjacent pair (ties: the pair whose left token's bytes sort first, then its right
 * token's), updating the pair counts only in the words that hold the pair. A merge whose bytes
 * equal an existing token's reuses its id (as Hugging Face's trainer does). Stops at `vocabSize`
 * ids or when no pair is seen `minFrequency` times, so the vocabulary can end smaller.
 *
 * Ids: 0–255 the bytes (id = byte value), then the special tokens, then merged tokens in the order
 * they were learned.
 *
 * @example
 * const tok = trainBpe(['low lower', 'newest widest'], { vocabSize: 300, minFrequency: 1 });
 */
export function trainBpe(texts: Iterable<string> | string, options: BpeTrainOptions): BpeTokenizer {
  const op = 'trainBpe';
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${op}: expected options { vocabSize, … }, got ${describe(options)}`);
  }
  const specials = options.specialTokens ?? [];
  if (!Array.isArray(specials)) {
    throw new TypeError(`${op}: specialTokens is ${describe(specials)}; expected an array of strings`);
  }
  const special = new Map<string, number>();
  specials.forEach((s, i) => {
    if (typeof s !== 'string' || s === '') {
      throw new TypeError(`${op}: special token ${i} is ${describe(s)}; expected a non-empty string`);
    }
    if (special.has(s)) throw new RangeError(`${op}: special token ${describe(s)} is listed twice`);
    special.set(s, 256 + i);
  });
  const vocabSize = options.vocabSize;
  const least = 256 + specials.length;
  if (!(Number.isInteger(vocabSize) && vocabSize >= least && vocabSize <= MAX_VOCAB)) {
    throw new RangeError(
      `${op}: vocabSize is ${describe(vocabSize)}; expected a whole number from ${least} (256 bytes + ${specials.length} special tokens) to ${MAX_VOCAB}`,
    );
  }
  const minFrequency = options.minFrequency ?? 2;
  if (!(Number.isInteger(minFrequency) && minFrequency >= 1)) {
    throw new RangeError(`${op}: minFrequency is ${describe(minFrequency)}; expected a whole number ≥ 1`);
  }
  const pretokenize = options.pretokenize ?? 'gpt2';
  if (pretokenize !== 'gpt2' && pretokenize !== 'none') {
    throw new RangeError(`${op}: pretokenize is ${describe(pretokenize)}; expected 'gpt2' or 'none'`);
  }
  if (
    typeof texts !== 'string' &&
    (texts === null || typeof texts !== 'object' || !(Symbol.iterator in texts))
  ) {
    throw new TypeError(`${op}: expected a string or an iterable of strings, got ${describe(texts)}`);
  }

  // 1. Count pre-tokens, with special tokens cut out.
  const counts = new Map<string, number>();
  const splitter = specialSplitter(special.keys());
  const count = (text: string) => {
    for (const p of pieces(text, pretokenize)) counts.set(p, (counts.get(p) ?? 0) + 1);
  };
  let index = 0;
  for (const text of typeof texts === 'string' ? [texts] : texts) {
    if (typeof text !== 'string') {
      throw new TypeError(`${op}: text ${index} is ${describe(text)}; expected a string`);
    }
    if (splitter) for (const part of text.split(splitter)) count(part);
    else count(text);
    index++;
  }

  // 2. Words as byte ids with their frequencies; tokens' bytes and (for ties) Latin-1 keys.
  const words: Int32Array[] = [];
  const lengths: number[] = [];
  const freqs: number[] = [];
  for (const [p, f] of counts) {
    const b = utf8.encode(p);
    words.push(Int32Array.from(b));
    lengths.push(b.length);
    freqs.push(f);
  }
  counts.clear();
  const tokens: Uint8Array[] = [];
  const keys: string[] = [];
  const byKey = new Map<string, number>();
  for (let b = 0; b < 256; b++) {
    tokens.push(Uint8Array.of(b));
    keys.push(String.fromCharCode(b));
    byKey.set(keys[b]!, b);
  }
  for (const s of special.keys()) {
    tokens.push(utf8.encode(s));
    keys.push(''); // never merged
  }

  // 3. Pair counts and, per pair, the words that may hold it (may repeat or be stale). Counts are
  // updated only where merges happen, never recounted.
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  const addPair = (key: number, f: number, w: number) => {
    pairCount.set(key, (pairCount.get(key) ?? 0) + f);
    const list = pairWords.get(key);
    if (list) {
      if (list[list.length - 1] !== w) list.push(w);
    } else pairWords.set(key, [w]);
  };
  const subPair = (key: number, f: number) => {
    const rest = (pairCount.get(key) ?? 0) - f;
    if (rest > 0) pairCount.set(key, rest);
    else pairCount.delete(key);
  };
  for (let w = 0; w < words.length; w++) {
    const s = words[w]!;
    for (let i = 0; i + 1 < lengths[w]!; i++) addPair(s[i]! * PAIR + s[i + 1]!, freqs[w]!, w);
  }

  // 4. A max-heap of (count, pair), ties by the tokens' bytes; entries go stale as counts fall and
  // are refreshed when popped.
  const heapCount: number[] = [];
  const heapKey: number[] = [];
  const above = (i: number, j: number) => {
    const ci = heapCount[i]!;
    const cj = heapCount[j]!;
    if (ci !== cj) return ci > cj;
    const ki = heapKey[i]!;
    const kj = heapKey[j]!;
    const li = keys[Math.floor(ki / PAIR)]!;
    const lj = keys[Math.floor(kj / PAIR)]!;
    if (li !== lj) return li < lj;
    return keys[ki % PAIR]! < keys[kj % PAIR]!;
  };
  const swap = (i: number, j: number) => {
    const c = heapCount[i]!;
    heapCount[i] = heapCount[j]!;
    heapCount[j] = c;
    const k = heapKey[i]!;
    heapKey[i] = heapKey[j]!;
    heapKey[j] = k;
  };
  const push = (key: number, c: number) => {
    let i = heapCount.length;
    heapCount.push(c);
    heapKey.push(key);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!above(i, p)) break;
      swap(i, p);
      i = p;
    }
  };
  const pop = () => {
    const last = heapCount.length - 1;
    swap(0, last);
    heapCount.pop();
    const key = heapKey.pop()!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= last) break;
      if (c + 1 < last && above(c + 1, c)) c++;
      if (!above(c, i)) break;
      swap(i, c);
      i = c;
    }
    return key;
  };
  for (const [key, c] of pairCount) if (c >= minFrequency) push(key, c);

  // 5. Merge until the vocabulary is full or no pair is frequent enough.
  const left: number[] = [];
  const right: number[] = [];
  const result: number[] = [];
  const stamp = new Int32Array(words.length).fill(-1);
  while (tokens.length < vocabSize && heapCount.length > 0) {
    const stored = heapCount[0]!;
    const key = pop();
    const c = pairCount.get(key) ?? 0;
    if (c !== stored) {
      if (c >= minFrequency) push(key, c);
      continue;
    }
    const a = Math.floor(key / PAIR);
    const b = key % PAIR;
    const joined = keys[a]! + keys[b]!;
    let z = byKey.get(joined);
    if (z === undefined) {
      z = tokens.length;
      const bytes = new Uint8Array(tokens[a]!.length + tokens[b]!.length);
      bytes.set(tokens[a]!, 0);
      bytes.set(tokens[b]!, tokens[a]!.length);
      tokens.push(bytes);
      keys.push(joined);
      byKey.set(joined, z);
    }
    const step = left.length;
    left.push(a);
    right.push(b);
    result.push(z);
    const touched = new Set<number>();
    for (const w of pairWords.get(key) ?? []) {
      if (stamp[w] === step) continue;
      stamp[w] = step;
      const s = words[w]!;
      const len = lengths[w]!;
      const f = freqs[w]!;
      // Merge left to right in place. Each merge breaks (x, a) and (b, y) and makes (x, z) and
      // (z, y); x is read from the merged output, so back-to-back merges (a b a b → z z) turn the
      // (z, a) the first one made into (z, z). The merged pair itself is dropped after the loop.
      let j = 0;
      let i = 0;
      while (i < len) {
        if (i + 1 < len && s[i] === a && s[i + 1] === b) {
          if (j > 0) {
            const x = s[j - 1]!;
            subPair(x * PAIR + a, f);
            addPair(x * PAIR + z, f, w);
            touched.add(x * PAIR + z);
          }
          if (i + 2 < len) {
            const y = s[i + 2]!;
            subPair(b * PAIR + y, f);
            addPair(z * PAIR + y, f, w);
            touched.add(z * PAIR + y);
          }
          s[j++] = z;
          i += 2;
        } else s[j++] = s[i++]!;
      }
      lengths[w] = j;
    }
    pairWords.delete(key);
    pairCount.delete(key);
    // Only pairs holding the new token can have grown; give them entries with their counts now.
    for (const k of touched) {
      const ck = pairCount.get(k) ?? 0;
      if (ck >= minFrequency) push(k, ck);
    }
  }

  return construct({
    tokens,
    byteToId: Int32Array.from({ length: 256 }, (_, b) => b),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    result: Int32Array.from(result),
    special,
    pretokenize,
  });
}
