// 64-bit n-gram fingerprints as two independent 32-bit lanes, for memory-lean n-gram sets over
// large corpora (the Mem metric's training-set index). A JS Set of joined strings costs ~60–100
// bytes per n-gram; a fingerprint costs 8 bytes in a typed array. With N keys stored, the chance
// that a query n-gram falsely collides with one of them is about N / 2^64 (≈ 1e-12 for N = 2e7).
export type Token = string | number;

/** murmur3's 32-bit finalizer: full avalanche of one word. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const SEED_A = 0x9e3779b9;
const SEED_B = 0x7f4a7c15;

function hashString(s: string, seed: number): number {
  let h = seed ^ s.length;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 15;
  }
  return fmix32(h);
}

/** Writes the two lanes of a token's hash into out[o], out[o + 1]. */
export function hashTokenInto(token: Token, out: Uint32Array, o: number): void {
  if (typeof token === "number") {
    if (!Number.isSafeInteger(token)) throw new TypeError(`numeric tokens must be safe integers, got ${token}`);
    const lo = token >>> 0;
    const hi = Math.floor(token / 4294967296) >>> 0;
    out[o] = fmix32(fmix32(lo ^ SEED_A) ^ hi);
    out[o + 1] = fmix32(fmix32((lo + SEED_B) >>> 0) ^ Math.imul(hi, 0x27d4eb2d));
  } else {
    out[o] = hashString(token, SEED_A);
    out[o + 1] = hashString(token, SEED_B);
  }
}

/** Both hash lanes of every token: [a0, b0, a1, b1, …]. */
export function hashTokens(tokens: readonly Token[]): Uint32Array {
  const out = new Uint32Array(tokens.length * 2);
  for (let i = 0; i < tokens.length; i++) hashTokenInto(tokens[i], out, 2 * i);
  return out;
}

/**
 * Fingerprint of the n-gram starting at token `start`, from precomputed token hashes; writes the
 * lanes to out[0], out[1]. Order-sensitive (rotate-xor-multiply chain, then a finalizer per lane).
 */
export function ngramFingerprint(tokenHashes: Uint32Array, start: number, n: number, out: Uint32Array): void {
  let a = SEED_A ^ n;
  let b = SEED_B ^ Math.imul(n, 0x165667b1);
  for (let k = 0; k < n; k++) {
    const i = 2 * (start + k);
    a = Math.imul(((a << 5) | (a >>> 27)) ^ tokenHashes[i], 0x9e3779b1);
    b = Math.imul(((b << 7) | (b >>> 25)) ^ tokenHashes[i + 1], 0x85ebca77);
  }
  out[0] = fmix32(a);
  out[1] = fmix32(b);
}
