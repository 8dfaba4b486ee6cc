// Unconditional-generation metrics of a set of samples (METHOD.md §7): PPL and entropy under the
// reference LM, MAUVE against reference texts on the reference LM's features, Div over all
// samples, Mem against the training split's 4-gram index. Div and Mem count words as rouge-score
// tokenizes them (lower case, letters and digits), the tokenization the Mem index is built with.
import {
  diversity,
  mauve,
  meanPredictiveEntropy,
  meanTokenEntropy,
  memorization,
  perplexityStats,
  rougeTokenize,
  type NgramIndex,
} from "../metrics/index.ts";
import type { RefLm } from "../reflm/index.ts";

export const WORD_TOKENIZATION = "words/rouge-tokenize";

export interface UnconditionalMetrics {
  samples: number;
  /** Mean number of words per sample. */
  meanWords: number;
  /** Samples that decoded to no text at all. */
  emptySamples: number;
  ppl: { mean: number; trimmedMean: number; median: number; scoredTexts: number; truncatedTexts: number } | null;
  /** Mean per-sample unigram entropy of the samples' reference-LM tokens (nats), and the LM's mean predictive entropy on them. */
  entropy: { sampleTokens: number; predictive: number | null };
  mauve: { mauve: number; numBuckets: number; pcaDims: number; references: number } | null;
  div: { div: number; distinct: { n: number; ratio: number }[] };
  mem: { mem: number; found: number; total: number } | null;
  /**
   * Words (as rouge-score tokenizes them) that never occur in the training split: invented words
   * such as "sxu" that a slightly-off latent decodes into when a word is spelled byte by byte.
   */
  unknownWords: { rate: number; unknown: number; total: number; examples: string[] } | null;
  /** The same measures on the reference texts (set by the evaluation): what "like the data" looks like. */
  referenceTexts?: { ppl: UnconditionalMetrics["ppl"]; div: number; mem: number | null; unknownWordRate: number | null; entropy: number; meanWords: number; count: number };
  /** Samples' mean PPL over the reference texts' under the same reference LM (1 = like the data). */
  pplRatio?: number | null;
  notes: string[];
}

export interface UnconditionalInputs {
  reflm?: RefLm;
  /** Reference texts for MAUVE (the test split). */
  references?: readonly string[];
  memIndex?: NgramIndex;
  /** 1-gram index of the training split's words (unknown-word rate). */
  wordIndex?: NgramIndex;
  /** k-means seed of MAUVE. */
  seed?: number;
  batch?: number;
}

export function unconditionalMetrics(samples: readonly string[], inputs: UnconditionalInputs): UnconditionalMetrics {
  if (samples.length === 0) throw new RangeError("unconditionalMetrics needs at least one sample");
  const notes: string[] = [];
  const words = samples.map((t) => rougeTokenize(t));
  const emptySamples = samples.filter((t) => t.trim() === "").length;
  const d = diversity(words);
  const div = { div: Number.isNaN(d.div) ? 0 : d.div, distinct: d.perOrder.map((r) => ({ n: r.n, ratio: r.ratio })) };
  if (Number.isNaN(d.div)) notes.push("Div: the samples hold no 4-gram; reported as 0.");

  let mem: UnconditionalMetrics["mem"] = null;
  if (inputs.memIndex) {
    if (inputs.memIndex.label !== WORD_TOKENIZATION) throw new Error(`Mem index built with "${inputs.memIndex.label}", expected "${WORD_TOKENIZATION}"`);
    const m = memorization(words, inputs.memIndex);
    mem = { mem: Number.isNaN(m.mem) ? 0 : m.mem, found: m.found, total: m.total };
  } else notes.push("Mem: not computed (no training-split index).");

  let unknownWords: UnconditionalMetrics["unknownWords"] = null;
  if (inputs.wordIndex) {
    if (inputs.wordIndex.n !== 1 || inputs.wordIndex.label !== WORD_TOKENIZATION) throw new Error(`the word index must be a 1-gram index of "${WORD_TOKENIZATION}"`);
    unknownWords = unknownWordRate(words, inputs.wordIndex);
  } else notes.push("Unknown-word rate: not computed (no training-split word index).");

  let ppl: UnconditionalMetrics["ppl"] = null;
  let predictive: number | null = null;
  let tokenEntropy = 0;
  let mv: UnconditionalMetrics["mauve"] = null;
  const lm = inputs.reflm;
  if (lm) {
    const scored = lm.nll(samples, inputs.batch ?? 16);
    if (scored.nlls.length > 0) {
      const st = perplexityStats(scored.nlls);
      ppl = { mean: st.mean, trimmedMean: st.trimmedMean, median: st.median, scoredTexts: st.count, truncatedTexts: scored.truncated };
      predictive = meanPredictiveEntropy(scored.entropies);
    }
    if (scored.empty.length > 0) notes.push(`PPL: ${scored.empty.length} empty sample(s) have no token to score and are left out.`);
    tokenEntropy = meanTokenEntropy(samples.map((t) => lm.encode(t)));
    const refs = inputs.references ?? [];
    if (refs.length >= 2 && samples.length >= 2) {
      const r = mauve(lm.features(samples, inputs.batch ?? 16), lm.features(refs, inputs.batch ?? 16), { seed: inputs.seed ?? 25 });
      mv = { mauve: r.mauve, numBuckets: r.numBuckets, pcaDims: r.pcaDims, references: refs.length };
    } else notes.push("MAUVE: not computed (needs ≥ 2 samples and ≥ 2 reference texts).");
  } else {
    notes.push("PPL, MAUVE, model-token entropy: not computed (no reference LM given: --reflm).");
  }
  return {
    samples: samples.length,
    meanWords: words.reduce((s, w) => s + w.length, 0) / samples.length,
    emptySamples,
    ppl,
    entropy: { sampleTokens: tokenEntropy, predictive },
    mauve: mv,
    div,
    mem,
    unknownWords,
    notes,
  };
}

/** Share of words not in `wordIndex` (a 1-gram index of the training words), with a few examples. */
export function unknownWordRate(texts: readonly (readonly string[])[], wordIndex: NgramIndex): NonNullable<UnconditionalMetrics["unknownWords"]> {
  let unknown = 0;
  let total = 0;
  const examples = new Set<string>();
  for (const words of texts) {
    for (const w of words) {
      total++;
      if (!wordIndex.has([w])) {
        unknown++;
        if (examples.size < 12) examples.add(w);
      }
    }
  }
  return { rate: total === 0 ? 0 : unknown / total, unknown, total, examples: [...examples] };
}
