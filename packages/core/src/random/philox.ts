/**
 * Counter-based random numbers: Philox4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random
 * numbers: as easy as 1, 2, 3", SC 2011), the generator PyTorch uses on CUDA. The output for
 * block `c` under key `k` is a pure function `philox(c, k)`, so a stream is
 * reproducible from `(seed, offset)` alone and is the same on every backend: everything here is
 * plain TypeScript over typed arrays and never touches a Tensor.
 *
 * Stream layout: the 64-bit seed is the key (`k0` = low 32 bits, `k1` = high 32 bits); the 128-bit
 * counter is the block index `offset` (`c0` = low 32 bits, `c1` = high bits, `c2 = c3 = 0`). Each
 * block yields four 32-bit words. Every sampling call starts on a fresh block and advances `offset`
 * by the number of blocks it read, so the words of a partly used last block are discarded — the
 * same convention as PyTorch's Philox offset.
 */

// Multipliers and Weyl key increments from Random123 (philox.h).
const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

const TWO_POW_32 = 4294967296;
const TWO_POW_MINUS_24 = 1 / 16777216;
const TWO_POW_MINUS_32 = 1 / TWO_POW_32;
const TWO_PI = 2 * Math.PI;

/**
 * High 32 bits of the 64-bit product of two unsigned 32-bit integers, exact. Splits both operands
 * into 16-bit halves so every partial product fits in a double's 53-bit mantissa.
 */
function mulhi32(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const lh = al * bh;
  const hl = ah * bl;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/**
 * One Philox4x32 block: `rounds` rounds over counter `(c0, c1, c2, c3)` with key `(k0, k1)`, the
 * four output words written to `out[at..at+4)`. Round r uses key + r·(W0, W1) (Random123 bumps the
 * key before every round but the first).
 */
function philoxBlock(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  rounds: number,
  out: Uint32Array,
  at: number,
): void {
  for (let r = 0; r < rounds; r++) {
    const hi0 = mulhi32(M0, c0);
    const lo0 = Math.imul(M0, c0);
    const hi1 = mulhi32(M1, c2);
    const lo1 = Math.imul(M1, c2);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  // Typed-array stores wrap modulo 2^32, so the signed intermediates land as unsigned words.
  out[at] = c0;
  out[at + 1] = c1;
  out[at + 2] = c2;
  out[at + 3] = c3;
}

/**
 * The raw Philox4x32 bijection: four 32-bit counter words and two 32-bit key words in, four words
 * out. `rounds` defaults to 10 (Philox4x32-10); Random123 also publishes vectors for 7.
 *
 * @example
 * philox4x32([0, 0, 0, 0], [0, 0]); // Uint32Array [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
 */
export function philox4x32(counter: ArrayLike<number>, key: ArrayLike<number>, rounds = 10): Uint32Array {
  if (counter.length !== 4 || key.length !== 2) {
    throw new RangeError(
      `philox4x32: expected 4 counter words and 2 key words, got ${counter.length} and ${key.length}`,
    );
  }
  if (!Number.isInteger(rounds) || rounds < 0) {
    throw new RangeError(`philox4x32: rounds must be a non-negative integer, got ${rounds}`);
  }
  const out = new Uint32Array(4);
  philoxBlock(
    counter[0]! >>> 0,
    counter[1]! >>> 0,
    counter[2]! >>> 0,
    counter[3]! >>> 0,
    key[0]! >>> 0,
    key[1]! >>> 0,
    rounds,
    out,
    0,
  );
  return out;
}

/**
 * Sequential reader over the Philox blocks `start, start+1, ...` under one key. `block` is the
 * index of the next block to generate, so after a call it is the generator's new offset.
 */
class WordStream {
  block: number;
  private readonly buf = new Uint32Array(4);
  private used = 4;

  constructor(
    private readonly k0: number,
    private readonly k1: number,
    start: number,
  ) {
    this.block = start;
  }

  /** The next 32-bit word, as an unsigned integer. */
  next(): number {
    if (this.used === 4) {
      this.refill(this.buf, 0);
      this.used = 0;
    }
    return this.buf[this.used++]!;
  }

  /** Fill `out` with the next `out.length` words; the unused words of a partial last block are dropped. */
  fill(out: Uint32Array): void {
    const whole = out.length - (out.length % 4);
    for (let i = 0; i < whole; i += 4) this.refill(out, i);
    if (whole < out.length) {
      this.refill(this.buf, 0);
      for (let i = whole; i < out.length; i++) out[i] = this.buf[i - whole]!;
    }
    this.used = 4;
  }

  /** A uniform double in (0, 1]: never 0, so safe under `log`. */
  nextOpenZero(): number {
    return (this.next() + 1) * TWO_POW_MINUS_32;
  }

  /** A uniform double in [0, 1) with 53 random bits (two words). */
  nextDouble(): number {
    const a = this.next() >>> 5;
    const b = this.next() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** An unbiased integer in [0, range) for 1 ≤ range ≤ 2^32, by rejecting the incomplete top bucket. */
  nextBelow(range: number): number {
    if (range === TWO_POW_32) return this.next();
    // Accept w < limit, the largest multiple of `range` that fits in 32 bits; P(reject) < 1/2.
    const limit = TWO_POW_32 - (TWO_POW_32 % range);
    let w = this.next();
    while (w >= limit) w = this.next();
    return w % range;
  }

  private refill(out: Uint32Array, at: number): void {
    const b = this.block;
    philoxBlock(b >>> 0, Math.floor(b / TWO_POW_32) >>> 0, 0, 0, this.k0, this.k1, 10, out, at);
    this.block = b + 1;
  }
}

/** A generator's full state: the 64-bit seed and the number of 128-bit Philox blocks consumed. */
export interface GeneratorState {
  seed: bigint;
  offset: number;
}

function normalizeSeed(seed: number | bigint): bigint {
  if (typeof seed === 'number') {
    if (!Number.isInteger(seed)) throw new RangeError(`Generator: seed must be an integer, got ${seed}`);
    seed = BigInt(seed);
  }
  // Negative seeds wrap to their 64-bit two's complement, as torch.manual_seed does.
  return BigInt.asUintN(64, seed);
}

function checkCount(op: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`${op}: sample count must be a non-negative integer, got ${n}`);
  }
  // Samples go into one typed array; beyond its length limit, fail before drawing anything.
  if (n > MAX_SAMPLES) {
    throw new RangeError(`${op}: ${n} samples are more than one typed array holds (${MAX_SAMPLES})`);
  }
}

/** The longest typed array JavaScript engines make (2^32 elements; engine.ts's HOST_MAX_ELEMENTS). */
const MAX_SAMPLES = 2 ** 32;

/**
 * A seeded, counter-based random stream (Philox4x32-10). Same seed, same calls → same numbers on
 * every machine and backend. Each call consumes a whole number of Philox blocks and moves the
 * offset on, so successive calls return fresh numbers; `getState`/`setState` rewind and replay.
 *
 * @example
 * const g = new Generator(42);
 * const u = g.uniform(4); // Float32Array in [0, 1)
 * const z = g.normal(4, 0, 0.02);
 * const again = new Generator(42).uniform(4); // equals u
 */
export class Generator {
  private k0: number;
  private k1: number;
  private seedValue: bigint;
  private offset = 0;

  constructor(seed: number | bigint) {
    this.seedValue = normalizeSeed(seed);
    this.k0 = Number(this.seedValue & 0xffffffffn);
    this.k1 = Number(this.seedValue >> 32n);
  }

  /** The seed (as an unsigned 64-bit value) and the block offset; pass to `setState` to replay. */
  getState(): GeneratorState {
    return { seed: this.seedValue, offset: this.offset };
  }

  setState(state: GeneratorState): void {
    if (!Number.isSafeInteger(state.offset) || state.offset < 0) {
      throw new RangeError(`Generator.setState: offset must be a non-negative integer, got ${state.offset}`);
    }
    this.seedValue = normalizeSeed(state.seed);
    this.k0 = Number(this.seedValue & 0xffffffffn);
    this.k1 = Number(this.seedValue >> 32n);
    this.offset = state.offset;
  }

  /**
   * A new, independent generator seeded from this stream's next block (consumes one block). Use it
   * to hand a sub-task its own stream without coordinating offsets.
   */
  fork(): Generator {
    const s = this.stream();
    const lo = s.next();
    const hi = s.next();
    this.offset = s.block;
    return new Generator((BigInt(hi) << 32n) | BigInt(lo));
  }

  /** `count` independent generators, each forked in turn from this one. */
  split(count: number): Generator[] {
    checkCount('Generator.split', count);
    const out: Generator[] = [];
    for (let i = 0; i < count; i++) out.push(this.fork());
    return out;
  }

  /** `n` raw 32-bit words. */
  bits(n: number): Uint32Array {
    checkCount('bits', n);
    const out = new Uint32Array(n);
    const s = this.stream();
    s.fill(out);
    this.offset = s.block;
    return out;
  }

  /** `n` floats uniform on [0, 1): the top 24 bits of each word times 2^-24, exact in float32. */
  uniform(n: number): Float32Array {
    checkCount('uniform', n);
    const words = this.bits(n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = (words[i]! >>> 8) * TWO_POW_MINUS_24;
    return out;
  }

  /**
   * `n` floats from N(mean, std²) by Box–Muller on pairs of words. The radius uses u1 = (w+1)/2^32
   * in (0, 1], so `log` never sees 0; tails reach about 6.7 std. Computed in float64, stored float32.
   */
  normal(n: number, mean = 0, std = 1): Float32Array {
    checkCount('normal', n);
    checkMeanStd('normal', mean, std);
    // Not `>>> 1`: that wraps above 2^32 (randn([1e6, 1e6]) drew gigabytes before failing).
    const pairs = Math.ceil(n / 2);
    const words = this.bits(2 * pairs);
    const out = new Float32Array(n);
    for (let p = 0; p < pairs; p++) {
      const r = Math.sqrt(-2 * Math.log((words[2 * p]! + 1) * TWO_POW_MINUS_32));
      const theta = TWO_PI * words[2 * p + 1]! * TWO_POW_MINUS_32;
      out[2 * p] = mean + std * r * Math.cos(theta);
      if (2 * p + 1 < n) out[2 * p + 1] = mean + std * r * Math.sin(theta);
    }
    return out;
  }

  /**
   * `n` floats from N(mean, std²) conditioned on |x − mean| ≤ 2·std: draws outside are discarded
   * and redrawn, as `tf.truncatedNormal` and `torch.nn.init.trunc_normal_(a=-2σ, b=2σ)` do.
   */
  truncatedNormal(n: number, mean = 0, std = 1): Float32Array {
    checkCount('truncatedNormal', n);
    checkMeanStd('truncatedNormal', mean, std);
    const out = new Float32Array(n);
    const s = this.stream();
    let i = 0;
    while (i < n) {
      const r = Math.sqrt(-2 * Math.log(s.nextOpenZero()));
      const theta = TWO_PI * s.next() * TWO_POW_MINUS_32;
      const z0 = r * Math.cos(theta);
      const z1 = r * Math.sin(theta);
      if (z0 >= -2 && z0 <= 2) out[i++] = mean + std * z0;
      if (i < n && z1 >= -2 && z1 <= 2) out[i++] = mean + std * z1;
    }
    this.offset = s.block;
    return out;
  }

  /**
   * `n` integers uniform on [low, high), exactly unbiased: each word is drawn again while it falls
   * in the incomplete top bucket of 2^32 mod (high − low), then reduced modulo the range.
   */
  randint(low: number, high: number, n: number): Int32Array {
    checkCount('randint', n);
    if (!Number.isInteger(low) || !Number.isInteger(high)) {
      throw new RangeError(`randint: low and high must be integers, got ${low} and ${high}`);
    }
    if (low < -2147483648 || high > 2147483648 || high <= low) {
      throw new RangeError(
        `randint: need -2^31 <= low < high <= 2^31 (the range [low, high) must hold int32 values), got low=${low}, high=${high}`,
      );
    }
    const range = high - low;
    const out = new Int32Array(n);
    const s = this.stream();
    for (let i = 0; i < n; i++) out[i] = low + s.nextBelow(range);
    this.offset = s.block;
    return out;
  }

  /**
   * `n` draws of 0/1 with P(1) = p: `1` where the 24-bit uniform u < p, so p = 0 never fires and
   * p = 1 always does. `p` is one probability or a Float32Array of length `n`, one per draw.
   */
  bernoulli(p: Float32Array | number, n: number): Uint8Array {
    checkCount('bernoulli', n);
    if (typeof p === 'number') {
      if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli: p must be in [0, 1], got ${p}`);
    } else {
      if (p.length !== n) {
        throw new RangeError(`bernoulli: got ${p.length} probabilities for ${n} draws; they must match`);
      }
      for (let i = 0; i < n; i++) {
        const pi = p[i]!;
        if (!(pi >= 0 && pi <= 1)) throw new RangeError(`bernoulli: p[${i}] = ${pi} is outside [0, 1]`);
      }
    }
    const words = this.bits(n);
    const out = new Uint8Array(n);
    if (typeof p === 'number') {
      for (let i = 0; i < n; i++) out[i] = (words[i]! >>> 8) * TWO_POW_MINUS_24 < p ? 1 : 0;
    } else {
      for (let i = 0; i < n; i++) out[i] = (words[i]! >>> 8) * TWO_POW_MINUS_24 < p[i]! ? 1 : 0;
    }
    return out;
  }

  /**
   * A uniformly random permutation of 0..n−1 (Fisher–Yates, Knuth's Algorithm P), each swap index
   * drawn without bias.
   */
  permutation(n: number): Int32Array {
    checkCount('permutation', n);
    if (n > 2147483647) throw new RangeError(`permutation: n = ${n} does not fit in int32`);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    const s = this.stream();
    for (let i = n - 1; i > 0; i--) {
      const j = s.nextBelow(i + 1);
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    this.offset = s.block;
    return out;
  }

  /**
   * Category indices drawn from each row of `probs` (row-major `[rows, cols]`, non-negative, not
   * necessarily normalised), `numSamples` per row → Int32Array `[rows, numSamples]`, as
   * `torch.multinomial`. With replacement: inverse-CDF lookups on a 53-bit uniform. Without
   * replacement: every category with positive weight gets the key E/p with E ~ Exp(1), and the
   * `numSamples` smallest keys win in increasing order (Efraimidis & Spirakis 2006), which is the
   * same distribution as drawing one at a time and renormalising. Zero-weight categories are never
   * drawn.
   */
  multinomial(
    probs: Float32Array,
    rows: number,
    cols: number,
    numSamples: number,
    replacement = false,
  ): Int32Array {
    checkCount('multinomial', numSamples);
    if (!Number.isSafeInteger(rows) || rows < 0 || !Number.isSafeInteger(cols) || cols < 1) {
      throw new RangeError(`multinomial: need rows >= 0 and cols >= 1, got rows=${rows}, cols=${cols}`);
    }
    if (probs.length !== rows * cols) {
      throw new RangeError(
        `multinomial: probs has ${probs.length} values but rows × cols = ${rows} × ${cols} = ${rows * cols}`,
      );
    }
    // Validate every row before drawing anything so a bad row never leaves the offset half-moved.
    for (let r = 0; r < rows; r++) {
      let total = 0;
      let nonzero = 0;
      for (let c = 0; c < cols; c++) {
        const v = probs[r * cols + c]!;
        if (!(v >= 0) || v === Number.POSITIVE_INFINITY) {
          throw new RangeError(
            `multinomial: probs[${r}, ${c}] = ${v}; probabilities must be finite and >= 0`,
          );
        }
        total += v;
        if (v > 0) nonzero++;
      }
      if (total <= 0) throw new RangeError(`multinomial: row ${r} has no positive probability mass`);
      if (!replacement && numSamples > nonzero) {
        throw new RangeError(
          `multinomial: cannot draw ${numSamples} samples without replacement from row ${r}, which has only ${nonzero} categories with positive probability`,
        );
      }
    }
    const out = new Int32Array(rows * numSamples);
    const s = this.stream();
    if (replacement) {
      const cdf = new Float64Array(cols);
      for (let r = 0; r < rows; r++) {
        let acc = 0;
        let last = 0;
        for (let c = 0; c < cols; c++) {
          const v = probs[r * cols + c]!;
          acc += v;
          cdf[c] = acc;
          if (v > 0) last = c;
        }
        for (let k = 0; k < numSamples; k++) {
          const u = s.nextDouble() * acc;
          // First c with cdf[c] > u: a zero-weight category repeats its predecessor's cdf, so it is
          // never first. `last` guards u·total rounding up to total.
          let lo = 0;
          let hi = last;
          while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if (cdf[mid]! > u) hi = mid;
            else lo = mid + 1;
          }
          out[r * numSamples + k] = lo;
        }
      }
    } else {
      const keys = new Float64Array(cols);
      const idx: number[] = [];
      for (let r = 0; r < rows; r++) {
        idx.length = 0;
        for (let c = 0; c < cols; c++) {
          const v = probs[r * cols + c]!;
          if (v > 0) {
            keys[c] = -Math.log(s.nextOpenZero()) / v;
            idx.push(c);
          }
        }
        // Ties (probability ~2^-64) fall back to the lower index so the result stays deterministic.
        idx.sort((a, b) => keys[a]! - keys[b]! || a - b);
        for (let k = 0; k < numSamples; k++) out[r * numSamples + k] = idx[k]!;
      }
    }
    this.offset = s.block;
    return out;
  }

  private stream(): WordStream {
    return new WordStream(this.k0, this.k1, this.offset);
  }
}

function checkMeanStd(op: string, mean: number, std: number): void {
  if (!Number.isFinite(mean)) throw new RangeError(`${op}: mean must be finite, got ${mean}`);
  if (!(std >= 0) || !Number.isFinite(std)) {
    throw new RangeError(`${op}: std must be finite and >= 0, got ${std}`);
  }
}
