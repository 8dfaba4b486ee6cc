// BERTScore's algorithm (Zhang et al. 2020, `bert_score.utils.greedy_cos_idf`): cosine similarity
// of every candidate token embedding with every reference token embedding; precision averages, over
// candidate tokens, each one's best match in the reference; recall the same from the reference
// side; optional idf weights (idf(w) = ln((M + 1)/(df(w) + 1)) over M reference texts, unseen words
// ln(M + 1)); F = 2PR/(P + R), 0 when undefined. No baseline rescaling.
// The embeddings come from whatever encoder the caller runs (in this project its own, trained
// here), so the numbers are NOT comparable to published BERTScore numbers computed with
// RoBERTa-large or DeBERTa — label them so.
import { checkMatrix, type FeatureMatrix } from "./matrix.ts";
import type { Token } from "./ngram-hash.ts";
import type { PrfScore } from "./rouge.ts";

export interface IdfTable {
  idf: ReadonlyMap<Token, number>;
  /** idf of a token seen in no reference text: ln(M + 1). */
  unseen: number;
  documents: number;
}

/** Document frequencies over the reference texts (each text counts a token once). */
export function buildIdf(references: readonly (readonly Token[])[]): IdfTable {
  const df = new Map<Token, number>();
  for (const doc of references) for (const t of new Set(doc)) df.set(t, (df.get(t) ?? 0) + 1);
  const m = references.length;
  const idf = new Map<Token, number>();
  for (const [t, c] of df) idf.set(t, Math.log((m + 1) / (c + 1)));
  return { idf, unseen: Math.log(m + 1), documents: m };
}

export interface BertScoreOptions {
  /** idf weighting; needs candidateTokens and referenceTokens (one token per embedding row). */
  idf?: IdfTable;
  candidateTokens?: readonly Token[];
  referenceTokens?: readonly Token[];
  /** Tokens given weight 0 (bert_score zeroes [CLS]/[SEP]); needs the token lists. */
  exclude?: ReadonlySet<Token>;
}

function rowNorms(m: FeatureMatrix): Float64Array {
  const n = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let j = 0; j < m.cols; j++) s += m.data[i * m.cols + j] ** 2;
    n[i] = Math.sqrt(s);
  }
  return n;
}

function weights(rows: number, tokens: readonly Token[] | undefined, options: BertScoreOptions, side: string): Float64Array {
  const w = new Float64Array(rows).fill(1);
  if (options.idf === undefined && options.exclude === undefined) return w;
  if (tokens === undefined) throw new RangeError(`BERTScore: idf or exclude needs the ${side} tokens`);
  if (tokens.length !== rows) throw new RangeError(`BERTScore: ${tokens.length} ${side} tokens for ${rows} embedding rows`);
  for (let i = 0; i < rows; i++) {
    if (options.exclude?.has(tokens[i])) w[i] = 0;
    else if (options.idf) w[i] = options.idf.idf.get(tokens[i]) ?? options.idf.unseen;
  }
  return w;
}

/** BERTScore P/R/F of one candidate against one reference, from their token embeddings. */
export function bertScore(candidate: FeatureMatrix, reference: FeatureMatrix, options: BertScoreOptions = {}): PrfScore {
  checkMatrix(candidate, "BERTScore candidate embeddings");
  checkMatrix(reference, "BERTScore reference embeddings");
  if (candidate.cols !== reference.cols) {
    throw new RangeError(`BERTScore: candidate embeddings have ${candidate.cols} dims, reference ${reference.cols}`);
  }
  const d = candidate.cols;
  const cn = rowNorms(candidate);
  const rn = rowNorms(reference);
  const bestC = new Float64Array(candidate.rows).fill(-Infinity);
  const bestR = new Float64Array(reference.rows).fill(-Infinity);
  for (let i = 0; i < candidate.rows; i++) {
    for (let j = 0; j < reference.rows; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += candidate.data[i * d + k] * reference.data[j * d + k];
      // A zero vector has no direction: similarity 0.
      const cos = cn[i] > 0 && rn[j] > 0 ? dot / (cn[i] * rn[j]) : 0;
      if (cos > bestC[i]) bestC[i] = cos;
      if (cos > bestR[j]) bestR[j] = cos;
    }
  }
  const wc = weights(candidate.rows, options.candidateTokens, options, "candidate");
  const wr = weights(reference.rows, options.referenceTokens, options, "reference");
  const weighted = (best: Float64Array, w: Float64Array): number => {
    let s = 0;
    let z = 0;
    for (let i = 0; i < best.length; i++) {
      s += w[i] * best[i];
      z += w[i];
    }
    return z > 0 ? s / z : 0;
  };
  const precision = weighted(bestC, wc);
  const recall = weighted(bestR, wr);
  const f = (2 * precision * recall) / (precision + recall);
  return { precision, recall, fmeasure: Number.isFinite(f) ? f : 0 };
}
