/*
 * The word2vec training kernel of @myelin/zoo-word2vec, compiled by `scripts/build-wasm.mjs` into
 * a single-threaded module (imported memory) and a threaded one (imported shared memory). One call
 * `train(args, tid, nt)` runs thread `tid`'s share of the sentences for one epoch, Hogwild-style:
 * every thread reads and writes the same weight rows without locks, as the original word2vec tool
 * does. Only the rows a step uses are touched (sparse updates); dot products and row updates run
 * on f32x4 SIMD over rows padded to a multiple of 4 floats.
 *
 * Conventions follow word2vec.c and gensim's `word2vec_inner`: the LCG `r·25214903917 + 11`,
 * subsampling by `sampleInt[w] < rand32` (gensim's integer threshold), negatives drawn by binary
 * search in the cumulative `count^0.75` table, a reduced window `b = rand % window`, the logistic
 * read from a 1000-entry table over [-6, 6] (outside it the gradient is clipped, as the tool does).
 */

// Field indices of the args block (i32 words; f32/f64 where noted).
const A_STRIDE = 0; // floats per row (dimension rounded up to 4)
const A_WINDOW = 1;
const A_NEGATIVE = 2;
const A_HS = 3;
const A_SG = 4;
const A_CBOW_MEAN = 5;
const A_VOCAB = 6;
const A_SYN0 = 7;
const A_SYN1NEG = 8;
const A_SYN1 = 9;
const A_CUM = 10; // u32[vocab]
const A_SAMPLE = 11; // u32[vocab]; 0xffffffff keeps every word
const A_CODES = 12; // u8[vocab * MAX_CODE]
const A_POINTS = 13; // i32[vocab * MAX_CODE]
const A_CODELEN = 14; // u8[vocab]
const A_CORPUS = 15; // i32 word ids
const A_OFFSETS = 16; // i32[nSent + 1]
const A_NSENT = 17;
const A_EXP = 18; // f32[EXP_TABLE_SIZE]
const A_PROGRESS = 19; // i32 counter of words done by all threads, all epochs
const A_ALPHA0 = 20; // f32
const A_MIN_ALPHA = 21; // f32
const A_TOTAL = 22; // f32: words in the whole run (corpus words × epochs)
const A_SCRATCH = 23; // per thread: neu1, neu1e (stride floats each)
const A_SEED = 24;
const A_STATS = 25; // per thread 16 bytes: i32 effective words, i32 pairs, f64 loss
const A_LOSS = 26; // compute the loss (costs a log per prediction)
const A_SENTBUF = 27; // per thread i32[maxSent]
const A_MAXSENT = 28;

const MAX_CODE: i32 = 40;
const EXP_TABLE_SIZE: i32 = 1000;
const MAX_EXP: f32 = 6.0;

@inline function geti(args: usize, k: i32): i32 {
  return load<i32>(args + (<usize>k << 2));
}
@inline function getf(args: usize, k: i32): f32 {
  return load<f32>(args + (<usize>k << 2));
}

@inline function dot(a: usize, b: usize, n: i32): f32 {
  let s0 = f32x4.splat(0);
  let s1 = f32x4.splat(0);
  let k = 0;
  for (; k + 8 <= n; k += 8) {
    const o = <usize>k << 2;
    s0 = f32x4.add(s0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    s1 = f32x4.add(s1, f32x4.mul(v128.load(a + o, 16), v128.load(b + o, 16)));
  }
  if (k < n) {
    const o = <usize>k << 2;
    s0 = f32x4.add(s0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  const s = f32x4.add(s0, s1);
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

/** y += g · x over n floats (n a multiple of 4). */
@inline function axpy(g: f32, x: usize, y: usize, n: i32): void {
  const gv = f32x4.splat(g);
  for (let k = 0; k < n; k += 4) {
    const o = <usize>k << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(gv, v128.load(x + o))));
  }
}

@inline function zero(y: usize, n: i32): void {
  const z = f32x4.splat(0);
  for (let k = 0; k < n; k += 4) v128.store(y + (<usize>k << 2), z);
}

@inline function scale(y: usize, a: f32, n: i32): void {
  const av = f32x4.splat(a);
  for (let k = 0; k < n; k += 4) {
    const o = <usize>k << 2;
    v128.store(y + o, f32x4.mul(av, v128.load(y + o)));
  }
}

@inline function nextRandom(r: u64): u64 {
  return r * 25214903917 + 11;
}

/** First index i in cum[0..n) with cum[i] > x (gensim's bisect_left over cumulative counts). */
@inline function bisect(cum: usize, n: i32, x: u32): i32 {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (load<u32>(cum + (<usize>mid << 2)) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// Per-call state (globals are per instance, hence per thread).
let stride: i32 = 0;
let expTab: usize = 0;
let wantLoss: bool = false;
let loss: f64 = 0;
let rnd: u64 = 0;

/** σ(f) from the table; f must lie strictly inside (-MAX_EXP, MAX_EXP). */
@inline function sigmoidTab(f: f32): f32 {
  const i = <i32>((f + MAX_EXP) * (<f32>EXP_TABLE_SIZE / MAX_EXP / 2.0));
  return load<f32>(expTab + (<usize>i << 2));
}

/**
 * Negative-sampling update of one prediction: input row l1 predicts `target` against `negative`
 * sampled words; accumulates the input's gradient into neu1e and updates syn1neg rows in place.
 */
function negUpdate(l1: usize, target: i32, neu1e: usize, syn1neg: usize, cum: usize, vocab: i32, negative: i32, alpha: f32): void {
  const total = load<u32>(cum + (<usize>(vocab - 1) << 2));
  for (let d = 0; d <= negative; d++) {
    let t = target;
    let label: f32 = 1;
    if (d > 0) {
      t = bisect(cum, vocab, <u32>((rnd >> 16) % <u64>total));
      rnd = nextRandom(rnd);
      if (t == target) continue;
      label = 0;
    }
    const l2 = syn1neg + (<usize>t * <usize>stride << 2);
    const f = dot(l1, l2, stride);
    let g: f32;
    if (f >= MAX_EXP) g = (label - 1) * alpha;
    else if (f <= -MAX_EXP) g = label * alpha;
    else g = (label - sigmoidTab(f)) * alpha;
    if (wantLoss) {
      const z = label > 0 ? f : -f;
      loss += z >= MAX_EXP ? 0 : z <= -MAX_EXP ? -z : -Math.log(<f64>sigmoidTab(z));
    }
    axpy(g, l2, neu1e, stride);
    axpy(g, l1, l2, stride);
  }
}

/** Hierarchical-softmax update: input row l1 predicts `word` along its Huffman path. */
function hsUpdate(l1: usize, word: i32, neu1e: usize, syn1: usize, codes: usize, points: usize, codeLen: usize, alpha: f32): void {
  const len = <i32>load<u8>(codeLen + <usize>word);
  const cbase = codes + <usize>word * <usize>MAX_CODE;
  const pbase = points + (<usize>word * <usize>MAX_CODE << 2);
  for (let d = 0; d < len; d++) {
    const node = load<i32>(pbase + (<usize>d << 2));
    const l2 = syn1 + (<usize>node * <usize>stride << 2);
    const f = dot(l1, l2, stride);
    if (f <= -MAX_EXP || f >= MAX_EXP) continue;
    const code = <f32>load<u8>(cbase + <usize>d);
    const s = sigmoidTab(f);
    const g: f32 = (<f32>1.0 - code - s) * alpha;
    if (wantLoss) loss += -Math.log(<f64>(code > 0 ? 1 - s : s) + 1e-12);
    axpy(g, l2, neu1e, stride);
    axpy(g, l1, l2, stride);
  }
}

/** Thread `tid` of `nt`: train on its share of the sentences for one epoch. */
export function train(args: usize, tid: i32, nt: i32): void {
  stride = geti(args, A_STRIDE);
  const window = geti(args, A_WINDOW);
  const negative = geti(args, A_NEGATIVE);
  const hs = geti(args, A_HS) != 0;
  const sg = geti(args, A_SG) != 0;
  const cbowMean = geti(args, A_CBOW_MEAN) != 0;
  const vocab = geti(args, A_VOCAB);
  const syn0 = <usize>geti(args, A_SYN0);
  const syn1neg = <usize>geti(args, A_SYN1NEG);
  const syn1 = <usize>geti(args, A_SYN1);
  const cum = <usize>geti(args, A_CUM);
  const sample = <usize>geti(args, A_SAMPLE);
  const codes = <usize>geti(args, A_CODES);
  const points = <usize>geti(args, A_POINTS);
  const codeLen = <usize>geti(args, A_CODELEN);
  const corpus = <usize>geti(args, A_CORPUS);
  const offsets = <usize>geti(args, A_OFFSETS);
  const nSent = geti(args, A_NSENT);
  expTab = <usize>geti(args, A_EXP);
  const progress = <usize>geti(args, A_PROGRESS);
  const alpha0 = getf(args, A_ALPHA0);
  const minAlpha = getf(args, A_MIN_ALPHA);
  const total = getf(args, A_TOTAL);
  const maxSent = geti(args, A_MAXSENT);
  const scratch = <usize>geti(args, A_SCRATCH) + (<usize>tid * <usize>stride * 2 << 2);
  const neu1 = scratch;
  const neu1e = scratch + (<usize>stride << 2);
  const sent = <usize>geti(args, A_SENTBUF) + (<usize>tid * <usize>maxSent << 2);
  const stats = <usize>geti(args, A_STATS) + (<usize>tid << 4);
  wantLoss = geti(args, A_LOSS) != 0;
  loss = 0;
  rnd = <u64>geti(args, A_SEED) * 1000003 + <u64>tid * 7919 + 1;

  const s0 = <i32>((<i64>nSent * tid) / nt);
  const s1 = <i32>((<i64>nSent * (tid + 1)) / nt);
  let effective = 0;
  let pairs = 0;
  let alpha = alpha0;
  let pending = 0;
  for (let s = s0; s < s1; s++) {
    const start = load<i32>(offsets + (<usize>s << 2));
    const end = load<i32>(offsets + (<usize>(s + 1) << 2));
    // Subsample frequent words into the sentence buffer.
    let n = 0;
    for (let p = start; p < end && n < maxSent; p++) {
      const w = load<i32>(corpus + (<usize>p << 2));
      const keep = load<u32>(sample + (<usize>w << 2));
      if (keep != 0xffffffff) {
        const r = <u32>((rnd >> 16) & 0xffffffff);
        rnd = nextRandom(rnd);
        if (keep < r) continue;
      }
      store<i32>(sent + (<usize>n << 2), w);
      n++;
    }
    effective += n;
    for (let i = 0; i < n; i++) {
      const word = load<i32>(sent + (<usize>i << 2));
      const b = <i32>((rnd >> 16) % <u64>window);
      rnd = nextRandom(rnd);
      const j0 = max(i - window + b, 0);
      const j1 = min(i + window + 1 - b, n);
      if (sg) {
        for (let j = j0; j < j1; j++) {
          if (j == i) continue;
          const ctx = load<i32>(sent + (<usize>j << 2));
          const l1 = syn0 + (<usize>ctx * <usize>stride << 2);
          zero(neu1e, stride);
          if (hs) hsUpdate(l1, word, neu1e, syn1, codes, points, codeLen, alpha);
          if (negative > 0) negUpdate(l1, word, neu1e, syn1neg, cum, vocab, negative, alpha);
          axpy(1, neu1e, l1, stride);
          pairs++;
        }
      } else {
        zero(neu1, stride);
        let count = 0;
        for (let j = j0; j < j1; j++) {
          if (j == i) continue;
          const ctx = load<i32>(sent + (<usize>j << 2));
          axpy(1, syn0 + (<usize>ctx * <usize>stride << 2), neu1, stride);
          count++;
        }
        if (count == 0) continue;
        const inv: f32 = 1.0 / <f32>count;
        if (cbowMean) scale(neu1, inv, stride);
        zero(neu1e, stride);
        if (hs) hsUpdate(neu1, word, neu1e, syn1, codes, points, codeLen, alpha);
        if (negative > 0) negUpdate(neu1, word, neu1e, syn1neg, cum, vocab, negative, alpha);
        if (!cbowMean) scale(neu1e, inv, stride);
        for (let j = j0; j < j1; j++) {
          if (j == i) continue;
          const ctx = load<i32>(sent + (<usize>j << 2));
          axpy(1, neu1e, syn0 + (<usize>ctx * <usize>stride << 2), stride);
        }
        pairs++;
      }
    }
    // Linear decay over the whole run, from the words all threads have done (as the tool does).
    pending += end - start;
    if (pending >= 10000 || s == s1 - 1) {
      let done: i32;
      if (ASC_FEATURE_THREADS) done = atomic.add<i32>(progress, pending) + pending;
      else {
        done = load<i32>(progress) + pending;
        store<i32>(progress, done);
      }
      pending = 0;
      alpha = alpha0 - (alpha0 - minAlpha) * (<f32>done / total);
      if (alpha < minAlpha) alpha = minAlpha;
    }
  }
  store<i32>(stats, effective);
  store<i32>(stats, pairs, 4);
  store<f64>(stats, loss, 8);
}

/** First byte past the module's static data: the host lays its arrays out above it. */
export function heapBase(): usize {
  return __heap_base;
}
