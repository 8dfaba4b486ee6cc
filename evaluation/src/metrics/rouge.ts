// ROUGE-N and ROUGE-L with Google rouge-score's semantics (`rouge/rouge_scorer.py`): n-gram overlap
// with counts clipped to the smaller side, precision over the prediction, recall over the target,
// F1 = 2PR/(P+R) (0 when both are 0); ROUGE-L from the token LCS of the whole texts (not the
// summary-level "Lsum" variant). Single reference.
import { lcsLength } from "@ldtext/core";
import { rougeTokenize, type Stemmer } from "./tokenize.ts";

export { lcsLength };

export interface PrfScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

export interface RougeScores {
  rouge1: PrfScore;
  rouge2: PrfScore;
  rougeL: PrfScore;
}

export function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join("\u0001");
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** ROUGE-N on already tokenized texts. */
export function rougeN(target: readonly string[], prediction: readonly string[], n: number): PrfScore {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`ROUGE-N needs a positive integer n, got ${n}`);
  const t = ngramCounts(target, n);
  const p = ngramCounts(prediction, n);
  let overlap = 0;
  let targetTotal = 0;
  let predictionTotal = 0;
  for (const [gram, c] of t) {
    overlap += Math.min(c, p.get(gram) ?? 0);
    targetTotal += c;
  }
  for (const c of p.values()) predictionTotal += c;
  const precision = overlap / Math.max(predictionTotal, 1);
  const recall = overlap / Math.max(targetTotal, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** ROUGE-L (sentence-level LCS) on already tokenized texts. */
export function rougeL(target: readonly string[], prediction: readonly string[]): PrfScore {
  if (target.length === 0 || prediction.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const lcs = lcsLength(target, prediction);
  const precision = lcs / prediction.length;
  const recall = lcs / target.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

export interface RougeOptions {
  /** Porter stemming as rouge-score's `use_stemmer=True` (NLTK's stemmer, tokens > 3 chars). */
  stem?: boolean | Stemmer;
}

/** rouge-score's `RougeScorer(["rouge1","rouge2","rougeL"]).score(target, prediction)`. */
export function rouge(target: string, prediction: string, options: RougeOptions = {}): RougeScores {
  const t = rougeTokenize(target, { stem: options.stem });
  const p = rougeTokenize(prediction, { stem: options.stem });
  return { rouge1: rougeN(t, p, 1), rouge2: rougeN(t, p, 2), rougeL: rougeL(t, p) };
}

/** Mean of each score over pairs (the "mid" value papers report, without bootstrap intervals). */
export function meanRouge(scores: readonly RougeScores[]): RougeScores {
  if (scores.length === 0) throw new RangeError("meanRouge needs at least one score");
  const mean = (pick: (s: RougeScores) => PrfScore): PrfScore => {
    let p = 0;
    let r = 0;
    let f = 0;
    for (const s of scores) {
      const x = pick(s);
      p += x.precision;
      r += x.recall;
      f += x.fmeasure;
    }
    return { precision: p / scores.length, recall: r / scores.length, fmeasure: f / scores.length };
  };
  return { rouge1: mean((s) => s.rouge1), rouge2: mean((s) => s.rouge2), rougeL: mean((s) => s.rougeL) };
}

/** Mean ROUGE over (target, prediction) pairs; call once with stem: false and once with true. */
export function corpusRouge(
  pairs: readonly { target: string; prediction: string }[],
  options: RougeOptions = {},
): RougeScores {
  return meanRouge(pairs.map((p) => rouge(p.target, p.prediction, options)));
}
