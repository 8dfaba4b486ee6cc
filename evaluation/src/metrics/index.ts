// Evaluation metrics of METHOD.md §7 as pure functions (no TF.js): text-overlap metrics on strings
// or token lists, Div/Mem on token lists, PPL/entropy summaries on per-token numbers from the
// reference LM, MAUVE and BERTScore on feature matrices from the project's own encoder/LM.
// Every hand-written port states in its header what it follows and why no npm package was used.

// Tokenization and stemming
export { rougeTokenize, whitespaceTokenize, type Stemmer, type RougeTokenizeOptions } from "./tokenize.ts";
export { porterStem, createCachedStemmer } from "./porter.ts";

// ROUGE (rouge-score semantics), BLEU (NLTK corpus_bleu), METEOR (NLTK, no WordNet)
export { rouge, corpusRouge, rougeN, rougeL, lcsLength, meanRouge, fmeasure, type PrfScore, type RougeScores, type RougeOptions } from "./rouge.ts";
export { corpusBleu, brevityPenalty, type BleuSegment, type BleuOptions, type BleuResult, type BleuSmoothing } from "./bleu.ts";
export { meteor, meteorDetail, meanMeteor, type MeteorOptions, type MeteorDetail } from "./meteor.ts";
export { summaryMetrics, METEOR_NOTE, type SummaryMetrics, type SummaryPair } from "./summary-metrics.ts";

// Div, Mem
export { diversity, distinctNgrams, memorization, type DiversityResult, type DistinctRatio, type MemorizationResult } from "./diversity.ts";
export { NgramIndex, buildNgramIndex, type NgramIndexOptions } from "./ngram-index.ts";
export { hashTokens, ngramFingerprint, type Token } from "./ngram-hash.ts";

// Perplexity and entropy
export {
  textPerplexity,
  perplexityStats,
  trimmedMean,
  entropyFromLogits,
  unigramEntropy,
  meanTokenEntropy,
  meanPredictiveEntropy,
  type PerplexityStats,
} from "./perplexity.ts";

// Feature-based metrics
export { featureMatrix, l2NormalizeRows, type FeatureMatrix } from "./matrix.ts";
export { pcaReduce, type PcaResult } from "./pca.ts";
export { kmeans, type KMeansOptions, type KMeansResult } from "./kmeans.ts";
export {
  mauve,
  mauveFromHistograms,
  divergenceCurve,
  areaUnderCurve,
  frontierIntegral,
  klMultinomial,
  linspace,
  type MauveOptions,
  type MauveResult,
  type MauveFromHistogramsResult,
  type CurvePoint,
  type AreaMode,
  type DivergenceCurveOptions,
} from "./mauve.ts";
export { bertScore, buildIdf, type BertScoreOptions, type IdfTable } from "./bertscore.ts";
