// Perplexity and entropy summaries from a reference LM's per-token numbers (METHOD.md §7). The LM
// itself lives elsewhere; these take per-token negative log-likelihoods in nats (natural log), one
// array per text, BOS already prepended by the caller so the first real token is scored.

/** exp(mean NLL) of one text. */
export function textPerplexity(nlls: ArrayLike<number>): number {
  if (nlls.length === 0) throw new RangeError("a text needs at least one scored token for perplexity");
  let s = 0;
  for (let i = 0; i < nlls.length; i++) {
    if (!Number.isFinite(nlls[i])) throw new RangeError(`non-finite NLL at token ${i}: ${nlls[i]}`);
    s += nlls[i];
  }
  return Math.exp(s / nlls.length);
}

/**
 * Mean after dropping floor(proportion·n) values from each end of the sorted list (scipy's
 * `stats.trim_mean` convention). proportion 0.05 → the 5–95 % trimmed mean.
 */
export function trimmedMean(values: readonly number[], proportion = 0.05): number {
  if (values.length === 0) throw new RangeError("trimmedMean of an empty list");
  if (!(proportion >= 0 && proportion < 0.5)) throw new RangeError(`trim proportion must be in [0, 0.5), got ${proportion}`);
  const sorted = [...values].sort((a, b) => a - b);
  const cut = Math.floor(proportion * sorted.length);
  const kept = sorted.slice(cut, sorted.length - cut);
  return kept.reduce((a, b) => a + b, 0) / kept.length;
}

export interface PerplexityStats {
  perText: number[];
  mean: number;
  /** 5–95 % trimmed mean (or the proportion asked for). */
  trimmedMean: number;
  median: number;
  count: number;
}

export function perplexityStats(nllsPerText: readonly ArrayLike<number>[], trimProportion = 0.05): PerplexityStats {
  if (nllsPerText.length === 0) throw new RangeError("perplexityStats needs at least one text");
  const perText = nllsPerText.map(textPerplexity);
  const sorted = [...perText].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return {
    perText,
    mean: perText.reduce((a, b) => a + b, 0) / perText.length,
    trimmedMean: trimmedMean(perText, trimProportion),
    median,
    count: perText.length,
  };
}

/** Shannon entropy (nats) of a categorical distribution given by logits (softmax taken here). */
export function entropyFromLogits(logits: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let z = 0;
  for (let i = 0; i < logits.length; i++) z += Math.exp(logits[i] - max);
  const logZ = Math.log(z) + max;
  let h = 0;
  for (let i = 0; i < logits.length; i++) {
    const lp = logits[i] - logZ;
    h -= Math.exp(lp) * lp;
  }
  return h;
}

/**
 * Entropy (nats) of the token frequency distribution within one text. Its mean over the samples is
 * the "token entropy" reported next to generative perplexity (MDLM/SEDD convention): repetitive
 * texts have low entropy, which is how a low perplexity from repetition is told apart.
 */
export function unigramEntropy(tokens: readonly (string | number)[]): number {
  if (tokens.length === 0) return 0;
  const counts = new Map<string | number, number>();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / tokens.length;
    h -= p * Math.log(p);
  }
  return h;
}

/** Mean over texts of unigramEntropy. */
export function meanTokenEntropy(texts: readonly (readonly (string | number)[])[]): number {
  if (texts.length === 0) throw new RangeError("meanTokenEntropy needs at least one text");
  return texts.reduce((s, t) => s + unigramEntropy(t), 0) / texts.length;
}

/** Mean of the reference LM's predictive entropies over all scored tokens of all texts. */
export function meanPredictiveEntropy(entropiesPerText: readonly ArrayLike<number>[]): number {
  let s = 0;
  let n = 0;
  for (const e of entropiesPerText) {
    for (let i = 0; i < e.length; i++) s += e[i];
    n += e.length;
  }
  if (n === 0) throw new RangeError("meanPredictiveEntropy needs at least one token");
  return s / n;
}
