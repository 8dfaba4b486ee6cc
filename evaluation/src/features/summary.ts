// Summarization metrics of predictions against references (METHOD.md §7): ROUGE-1/2/L with and
// without stemming, BLEU, METEOR (the metrics' summaryMetrics), and BERTScore over the reference
// LM's token states (labelled: not comparable to RoBERTa/DeBERTa numbers).
import { bertScore, summaryMetrics, type SummaryMetrics } from "../metrics/index.ts";
import { BERTSCORE_NOTE, type RefLm } from "../reflm/index.ts";

export interface SummarizationMetrics extends SummaryMetrics {
  bertScore: { precision: number; recall: number; f1: number; encoder: string } | null;
}

export function summarizationMetrics(predictions: readonly string[], references: readonly string[], reflm?: RefLm, batch = 16): SummarizationMetrics {
  if (predictions.length !== references.length) throw new RangeError(`${predictions.length} predictions for ${references.length} references`);
  const base = summaryMetrics(predictions.map((prediction, i) => ({ prediction, reference: references[i] })));
  const notes = [...base.notes];
  let bs: SummarizationMetrics["bertScore"] = null;
  if (reflm) {
    const c = reflm.tokenEmbeddings(predictions, batch);
    const r = reflm.tokenEmbeddings(references, batch);
    let p = 0;
    let rc = 0;
    let f = 0;
    for (let i = 0; i < c.length; i++) {
      const s = bertScore(c[i].embeddings, r[i].embeddings);
      p += s.precision;
      rc += s.recall;
      f += s.fmeasure;
    }
    const n = c.length;
    bs = { precision: p / n, recall: rc / n, f1: f / n, encoder: reflm.id };
    notes.push(BERTSCORE_NOTE);
  } else notes.push("BERTScore: not computed (no reference LM given: --reflm).");
  return { ...base, notes, bertScore: bs };
}
