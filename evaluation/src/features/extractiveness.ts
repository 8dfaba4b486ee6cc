// How much a summary copies its document: the share of its words and word pairs (rouge-score
// tokens, lowercased, unstemmed) that never occur in the document — See et al. 2017 and the XSum
// paper (Narayan et al. 2018) report the same "novel n-grams" — and its ROUGE-L F1 against the
// document's first sentence. Beside ROUGE and dependence it tells a summarizer that writes a new
// sentence (XSum references: most bigrams novel) from one that repeats the lead (lead-1: none novel,
// lead ROUGE-L 1), which both can score the same ROUGE for.
import { rougeL, rougeTokenize } from "../metrics/index.ts";

export interface Extractiveness {
  /** Mean over summaries of the share of their unigrams / bigrams absent from the document (summaries without any are skipped). */
  novelUnigrams: number;
  novelBigrams: number;
  /** Mean ROUGE-L F1 (unstemmed) of the summary against the document's first sentence. */
  leadRougeL: number;
  summaries: number;
}

function ngrams(tokens: readonly string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(" "));
  return out;
}

function novelShare(summary: readonly string[], document: readonly string[], n: number): number | null {
  const grams = ngrams(summary, n);
  if (grams.length === 0) return null;
  const seen = new Set(ngrams(document, n));
  return grams.filter((g) => !seen.has(g)).length / grams.length;
}

const mean = (xs: readonly (number | null)[]): number => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length === 0 ? 0 : v.reduce((a, b) => a + b, 0) / v.length;
};

export function extractiveness(summaries: readonly string[], documents: readonly string[], leads: readonly string[]): Extractiveness {
  if (summaries.length !== documents.length || leads.length !== documents.length) throw new RangeError(`extractiveness needs one document and one lead per summary (${summaries.length}, ${documents.length}, ${leads.length})`);
  const s = summaries.map((x) => rougeTokenize(x));
  const d = documents.map((x) => rougeTokenize(x));
  return {
    novelUnigrams: mean(s.map((t, i) => novelShare(t, d[i], 1))),
    novelBigrams: mean(s.map((t, i) => novelShare(t, d[i], 2))),
    leadRougeL: mean(s.map((t, i) => (t.length === 0 ? null : rougeL(rougeTokenize(leads[i]), t).fmeasure))),
    summaries: summaries.length,
  };
}
