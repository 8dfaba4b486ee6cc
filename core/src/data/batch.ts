// Tokenized, padded batches in the MODEL-SPEC token layout, with length statistics (how much text
// the chosen L cuts off is worth seeing while choosing L).
import { layoutTokens, PAD_ID } from "../tokenizer.ts";

export interface LengthStats {
  /** Mean token count before truncation (EOS not counted). */
  mean: number;
  /** Largest token count before truncation. */
  max: number;
  /** Share of rows whose text was cut to fit. */
  fractionTruncated: number;
}

export interface PaddedBatch {
  /** [batch * length] row-major ids: tokens truncated to L − 1, EOS, PAD. */
  ids: Int32Array;
  batch: number;
  length: number;
  stats: LengthStats;
}

function stats(lengths: readonly number[], limit: number): LengthStats {
  const n = lengths.length;
  if (n === 0) return { mean: 0, max: 0, fractionTruncated: 0 };
  let sum = 0;
  let max = 0;
  let cut = 0;
  for (const l of lengths) {
    sum += l;
    max = Math.max(max, l);
    if (l > limit) cut++;
  }
  return { mean: sum / n, max, fractionTruncated: cut / n };
}

/** Lay out token id lists as a [B, L] batch (truncate to L − 1, EOS, PAD). */
export function padBatch(idsList: readonly ArrayLike<number>[], length: number): PaddedBatch {
  const ids = new Int32Array(idsList.length * length);
  idsList.forEach((row, b) => layoutTokens(row, length, ids, b * length));
  return { ids, batch: idsList.length, length, stats: stats(idsList.map((r) => r.length), length - 1) };
}

export interface DocumentBatch {
  /** [batch * length] ids: the document's head, truncated to S, then PAD (no EOS). */
  ids: Int32Array;
  /** [batch * length] 1 for real tokens, 0 for PAD (CondEnc's key padding mask). */
  mask: Float32Array;
  batch: number;
  length: number;
  stats: LengthStats;
}

/** Documents for the condition encoder (MODEL-SPEC): head truncated to S, PAD, and a 1/0 mask. */
export function padDocuments(idsList: readonly ArrayLike<number>[], length: number): DocumentBatch {
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`length must be a positive integer, got ${length}`);
  const ids = new Int32Array(idsList.length * length).fill(PAD_ID);
  const mask = new Float32Array(idsList.length * length);
  idsList.forEach((row, b) => {
    const n = Math.min(row.length, length);
    for (let i = 0; i < n; i++) {
      ids[b * length + i] = row[i];
      mask[b * length + i] = 1;
    }
  });
  return { ids, mask, batch: idsList.length, length, stats: stats(idsList.map((r) => r.length), length) };
}
