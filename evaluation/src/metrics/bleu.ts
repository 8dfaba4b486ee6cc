// Corpus-level BLEU (Papineni et al. 2002) with NLTK's `corpus_bleu` semantics: clipped n-gram
// counts summed over the corpus, each sentence's n-gram total floored at 1 (NLTK's
// `modified_precision`), closest reference length (ties → the shorter), brevity penalty
// exp(1 − r/c) when c ≤ r, uniform weights up to maxOrder. Unsmoothed, a zero precision at any
// order gives 0 (NLTK returns ≈1e-77 there, via log(float_min)).

export type BleuSmoothing =
  /** none (NLTK method0). */
  | "none"
  /** NLTK method1: a zero numerator becomes epsilon (0.1). */
  | "epsilon"
  /** NLTK method2 (Lin & Och 2004): +1 to numerator and denominator for orders ≥ 2. */
  | "add1";

export interface BleuOptions {
  maxOrder?: number;
  smoothing?: BleuSmoothing;
  epsilon?: number;
}

export interface BleuSegment {
  candidate: readonly string[];
  references: readonly (readonly string[])[];
}

export interface BleuResult {
  bleu: number;
  /** Per order n = 1..maxOrder, after smoothing. */
  precisions: number[];
  matches: number[];
  totals: number[];
  brevityPenalty: number;
  candidateLength: number;
  referenceLength: number;
}

function counts(tokens: readonly string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const k = tokens.slice(i, i + n).join("\u0001");
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

export function brevityPenalty(referenceLength: number, candidateLength: number): number {
  if (candidateLength > referenceLength) return 1;
  if (candidateLength === 0) return 0;
  return Math.exp(1 - referenceLength / candidateLength);
}

function closestRefLength(references: readonly (readonly string[])[], hypLen: number): number {
  let best = references[0].length;
  for (const r of references) {
    const d = Math.abs(r.length - hypLen);
    const bd = Math.abs(best - hypLen);
    if (d < bd || (d === bd && r.length < best)) best = r.length;
  }
  return best;
}

export function corpusBleu(segments: readonly BleuSegment[], options: BleuOptions = {}): BleuResult {
  const maxOrder = options.maxOrder ?? 4;
  const smoothing = options.smoothing ?? "none";
  const epsilon = options.epsilon ?? 0.1;
  if (!Number.isInteger(maxOrder) || maxOrder < 1) throw new RangeError(`maxOrder must be ≥ 1, got ${maxOrder}`);
  if (segments.length === 0) throw new RangeError("corpusBleu needs at least one segment");
  const matches = new Array<number>(maxOrder).fill(0);
  const totals = new Array<number>(maxOrder).fill(0);
  let candidateLength = 0;
  let referenceLength = 0;
  for (const seg of segments) {
    if (seg.references.length === 0) throw new RangeError("every BLEU segment needs at least one reference");
    for (let n = 1; n <= maxOrder; n++) {
      const cand = counts(seg.candidate, n);
      const maxRef = new Map<string, number>();
      for (const ref of seg.references) {
        for (const [k, c] of counts(ref, n)) if (c > (maxRef.get(k) ?? 0)) maxRef.set(k, c);
      }
      let clipped = 0;
      let total = 0;
      for (const [k, c] of cand) {
        clipped += Math.min(c, maxRef.get(k) ?? 0);
        total += c;
      }
      matches[n - 1] += clipped;
      totals[n - 1] += Math.max(1, total);
    }
    candidateLength += seg.candidate.length;
    referenceLength += closestRefLength(seg.references, seg.candidate.length);
  }
  const bp = brevityPenalty(referenceLength, candidateLength);
  const precisions = matches.map((m, i) => {
    if (smoothing === "add1" && i > 0) return (m + 1) / (totals[i] + 1);
    if (smoothing === "epsilon" && m === 0) return epsilon / totals[i];
    return m / totals[i];
  });
  const result = { precisions, matches, totals, brevityPenalty: bp, candidateLength, referenceLength };
  if (matches[0] === 0 || precisions.some((p) => p === 0)) return { bleu: 0, ...result };
  const logMean = precisions.reduce((s, p) => s + Math.log(p), 0) / maxOrder;
  return { bleu: bp * Math.exp(logMean), ...result };
}
