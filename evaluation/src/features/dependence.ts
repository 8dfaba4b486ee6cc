// Does a summarizer read its document? ROUGE against each summary's own reference minus ROUGE
// against the reference of another document (a fixed permutation: rotation by half the set, which
// pairs no summary with its own reference), and how alike the summaries of different documents are
// when sampled from the same noise (shared seed). A model that ignores its condition scores the same
// against any reference (dependence ≈ 0) and writes near copies for different documents.
import { meanRouge, rouge } from "../metrics/index.ts";

export interface DocumentDependence {
  /** ROUGE-1 / ROUGE-L F1 (stemmed) against the own reference, against the shuffled one, and their difference. */
  rouge1: { own: number; shuffled: number; dependence: number };
  rougeL: { own: number; shuffled: number; dependence: number };
  /** Mean pairwise ROUGE-L F1 between summaries of different documents at one shared seed (null if not sampled). */
  sharedSeedSimilarity: number | null;
  sharedSeedDocuments: number;
  /** "ignores the document" when ROUGE-L dependence < 0.01, whatever the ROUGE. */
  verdict: "reads the document" | "ignores the document";
}

export const DEPENDENCE_FLOOR = 0.01;

/** The fixed permutation: i → (i + ⌊n/2⌋) mod n (no fixed point for n ≥ 2). */
export function shuffledIndex(i: number, n: number): number {
  return (i + Math.floor(n / 2)) % n;
}

export function documentDependence(predictions: readonly string[], references: readonly string[], sharedSeedSummaries?: readonly string[]): DocumentDependence {
  const n = predictions.length;
  if (n < 2 || references.length !== n) throw new RangeError(`dependence needs ≥ 2 predictions and as many references (got ${n}, ${references.length})`);
  const own = meanRouge(predictions.map((p, i) => rouge(references[i], p, { stem: true })));
  const shuffled = meanRouge(predictions.map((p, i) => rouge(references[shuffledIndex(i, n)], p, { stem: true })));
  let similarity: number | null = null;
  const shared = sharedSeedSummaries ?? [];
  if (shared.length >= 2) {
    let sum = 0;
    let pairs = 0;
    for (let i = 0; i < shared.length; i++) {
      for (let j = i + 1; j < shared.length; j++) {
        sum += rouge(shared[i], shared[j], { stem: true }).rougeL.fmeasure;
        pairs++;
      }
    }
    similarity = sum / pairs;
  }
  const rougeL = { own: own.rougeL.fmeasure, shuffled: shuffled.rougeL.fmeasure, dependence: own.rougeL.fmeasure - shuffled.rougeL.fmeasure };
  return {
    rouge1: { own: own.rouge1.fmeasure, shuffled: shuffled.rouge1.fmeasure, dependence: own.rouge1.fmeasure - shuffled.rouge1.fmeasure },
    rougeL,
    sharedSeedSimilarity: similarity,
    sharedSeedDocuments: shared.length,
    verdict: rougeL.dependence < DEPENDENCE_FLOOR ? "ignores the document" : "reads the document",
  };
}
