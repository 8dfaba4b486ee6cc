// Counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as
// 1, 2, 3", SC 2011), hand-written here because no small, maintained npm package offers a counter-based
// generator whose output is a pure function of (key, counter). That property is what makes a
// request's noise independent of what else shares its batch: the noise for element i of row r at
// sampler step k under seed S is philox(key = S, counter = (⌊i/4⌋, r, k, stream)), whatever the batch.
// Sampling convention (MODEL-SPEC): step 0 is a request's initial noise, step i + 1 the SDE noise of
// sampler step i, row = the sample's index inside its request.
//
// Determinism: integer math is exact; Gaussians use Math.log/sqrt/cos/sin (V8's fdlibm ports), so
// values are bit-identical across Node versions on any platform; another JS engine may differ in the
// last ulp.

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO_POW_32 = 4294967296;

/** Largest seed: seeds are integers 0..2^53−1 (split into two 32-bit Philox key words). */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/** High 32 bits of the 64-bit product of two uint32 (exact: every partial product is < 2^53). */
function mulhi(a: number, b: number): number {
  const aL = a & 0xffff;
  const aH = a >>> 16;
  const bL = b & 0xffff;
  const bH = b >>> 16;
  const ll = aL * bL;
  const lh = aL * bH;
  const hl = aH * bL;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (aH * bH + Math.floor(lh / 65536) + Math.floor(hl / 65536) + Math.floor(mid / 65536)) >>> 0;
}

/**
 * Philox4x32-10: four uint32 outputs for counter (c0..c3) and key (k0, k1), written to `out[0..3]`.
 */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array): void {
  c0 >>>= 0;
  c1 >>>= 0;
  c2 >>>= 0;
  c3 >>>= 0;
  k0 >>>= 0;
  k1 >>>= 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be an integer in [0, 2^53 − 1], got ${seed}`);
}

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v >= TWO_POW_32) throw new RangeError(`${name} must be an integer in [0, 2^32), got ${v}`);
}

/** Stream tag in the fourth counter word: Gaussian noise vs. SeededRandom never share counters. */
const STREAM_GAUSSIAN = 0;
const STREAM_UNIFORM = 1;

/**
 * Write `count` standard normal values into `out` starting at `offset`: element i is a pure function
 * of (seed, step, row, i). Use this to assemble a batch without allocating.
 * seed: integer 0..2^53−1; step, row: integers 0..2^32−1.
 */
export function gaussianNoiseInto(out: Float32Array, offset: number, seed: number, step: number, row: number, count: number): void {
  checkSeed(seed);
  checkU32("step", step);
  checkU32("row", row);
  if (!Number.isInteger(count) || count < 0 || offset + count > out.length) {
    throw new RangeError(`count ${count} at offset ${offset} does not fit an array of ${out.length}`);
  }
  const k0 = seed % TWO_POW_32;
  const k1 = Math.floor(seed / TWO_POW_32);
  const words = new Uint32Array(4);
  for (let block = 0; block * 4 < count; block++) {
    philox4x32(block, row, step, STREAM_GAUSSIAN, k0, k1, words);
    // Box–Muller on two pairs; (x + 0.5) / 2^32 lies in (0, 1), so log never sees 0.
    for (let pair = 0; pair < 2; pair++) {
      const u1 = (words[2 * pair] + 0.5) / TWO_POW_32;
      const u2 = (words[2 * pair + 1] + 0.5) / TWO_POW_32;
      const r = Math.sqrt(-2 * Math.log(u1));
      const theta = 2 * Math.PI * u2;
      const i = block * 4 + 2 * pair;
      if (i < count) out[offset + i] = r * Math.cos(theta);
      if (i + 1 < count) out[offset + i + 1] = r * Math.sin(theta);
    }
  }
}

/** `count` standard normal values, a pure function of (seed, step, row, element index). */
export function gaussianNoise(seed: number, step: number, row: number, count: number): Float32Array {
  const out = new Float32Array(count);
  gaussianNoiseInto(out, 0, seed, step, row, count);
  return out;
}

/** Serializable position of a SeededRandom (JSON-safe), for exact resumption of training. */
export interface SeededRandomState {
  seed: number;
  /** Number of 32-bit words drawn so far. */
  drawn: number;
}

/**
 * Seeded uniform PRNG for shuffles and sampling decisions (Philox in counter mode, stream 1).
 * `state()` / `fromState()` resume the exact sequence.
 */
export class SeededRandom {
  private readonly k0: number;
  private readonly k1: number;
  private drawnWords = 0;
  private readonly buf = new Uint32Array(4);
  private bufBlock = -1;

  constructor(readonly seed: number) {
    checkSeed(seed);
    this.k0 = seed % TWO_POW_32;
    this.k1 = Math.floor(seed / TWO_POW_32);
  }

  static fromState(state: SeededRandomState): SeededRandom {
    if (!Number.isSafeInteger(state.drawn) || state.drawn < 0) throw new RangeError(`invalid SeededRandom state: drawn = ${state.drawn}`);
    const r = new SeededRandom(state.seed);
    r.drawnWords = state.drawn;
    return r;
  }

  state(): SeededRandomState {
    return { seed: this.seed, drawn: this.drawnWords };
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    const n = this.drawnWords++;
    const block = Math.floor(n / 4);
    if (block !== this.bufBlock) {
      // The block index spans two counter words, so the period is 2^66 words.
      philox4x32(block % TWO_POW_32, Math.floor(block / TWO_POW_32), 0, STREAM_UNIFORM, this.k0, this.k1, this.buf);
      this.bufBlock = block;
    }
    return this.buf[n % 4];
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling); n ≤ 2^32. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > TWO_POW_32) throw new RangeError(`nextInt: n must be an integer in [1, 2^32], got ${n}`);
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal (Box–Muller, one value per call). */
  nextGaussian(): number {
    const u1 = (this.nextUint32() + 0.5) / TWO_POW_32;
    const u2 = (this.nextUint32() + 0.5) / TWO_POW_32;
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Fisher–Yates shuffle in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

/** A shuffled copy of `items`, deterministic in `seed`. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  return new SeededRandom(seed).shuffle([...items]);
}
