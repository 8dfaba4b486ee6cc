// Div and Mem of generated texts (METHOD.md §7).
//   Div = Π_{n=2..4} (#distinct n-grams / #n-grams), pooled over all generated texts (n-grams never
//         span two texts; distinct counting is exact, by joined-token keys).
//   Mem = fraction of generated 4-grams, counted with multiplicity, found in the training set's
//         4-gram index (NgramIndex: 64-bit fingerprints, false-positive rate ≈ size / 2^64).
// Texts are token lists; which tokenization (the core tokenizer's ids or words) is the caller's
// choice, but the index and the generated texts must use the same one (NgramIndex.label helps).
import type { Token } from "./ngram-hash.ts";
import type { NgramIndex } from "./ngram-index.ts";

export interface DistinctRatio {
  n: number;
  distinct: number;
  total: number;
  /** distinct / total; NaN when there is no n-gram of this order. */
  ratio: number;
}

export function distinctNgrams(texts: readonly (readonly Token[])[], n: number): DistinctRatio {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n-gram order must be a positive integer, got ${n}`);
  const seen = new Set<string>();
  let total = 0;
  for (const tokens of texts) {
    for (let i = 0; i + n <= tokens.length; i++) {
      seen.add(tokens.slice(i, i + n).join("\u0001"));
      total++;
    }
  }
  return { n, distinct: seen.size, total, ratio: total === 0 ? NaN : seen.size / total };
}

export interface DiversityResult {
  div: number;
  perOrder: DistinctRatio[];
}

export function diversity(texts: readonly (readonly Token[])[], orders: readonly number[] = [2, 3, 4]): DiversityResult {
  const perOrder = orders.map((n) => distinctNgrams(texts, n));
  return { div: perOrder.reduce((p, r) => p * r.ratio, 1), perOrder };
}

export interface MemorizationResult {
  /** found / total; NaN when the texts hold no n-gram of the index's order. */
  mem: number;
  found: number;
  total: number;
}

export function memorization(texts: readonly (readonly Token[])[], index: NgramIndex): MemorizationResult {
  let found = 0;
  let total = 0;
  for (const tokens of texts) {
    const c = index.countFound(tokens);
    found += c.found;
    total += c.total;
  }
  return { mem: total === 0 ? NaN : found / total, found, total };
}
