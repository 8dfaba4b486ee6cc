// One call for the text-overlap metrics a summarization table reports (ROUGE-1/2/L without and with
// stemming, corpus BLEU-4, mean METEOR), with the caveats that must travel with the numbers.
import { corpusBleu, type BleuResult } from "./bleu.ts";
import { meanMeteor } from "./meteor.ts";
import { corpusRouge, type RougeScores } from "./rouge.ts";
import { whitespaceTokenize } from "./tokenize.ts";

export interface SummaryPair {
  reference: string;
  prediction: string;
}

export interface SummaryMetrics {
  count: number;
  rouge: { plain: RougeScores; stemmed: RougeScores };
  bleu: BleuResult;
  meteor: number;
  notes: string[];
}

export const METEOR_NOTE = "METEOR: NLTK variant (α 0.9, β 3, γ 0.5), exact and Porter-stem stages only — no WordNet synonym stage (no offline WordNet).";

export function summaryMetrics(
  pairs: readonly SummaryPair[],
  options: { tokenize?: (text: string) => string[] } = {},
): SummaryMetrics {
  if (pairs.length === 0) throw new RangeError("summaryMetrics needs at least one pair");
  const tokenize = options.tokenize ?? whitespaceTokenize;
  const rougePairs = pairs.map((p) => ({ target: p.reference, prediction: p.prediction }));
  const tokenized = pairs.map((p) => ({ reference: tokenize(p.reference), hypothesis: tokenize(p.prediction) }));
  return {
    count: pairs.length,
    rouge: { plain: corpusRouge(rougePairs), stemmed: corpusRouge(rougePairs, { stem: true }) },
    bleu: corpusBleu(tokenized.map((t) => ({ candidate: t.hypothesis, references: [t.reference] }))),
    meteor: meanMeteor(tokenized),
    notes: [
      "ROUGE: rouge-score semantics (lower-case, non-alphanumerics to spaces); stemmed = NLTK Porter on tokens > 3 chars.",
      "BLEU: NLTK corpus_bleu, max order 4, no smoothing, on the given tokenization.",
      METEOR_NOTE,
    ],
  };
}
