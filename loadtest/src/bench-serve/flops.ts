// FLOPs of one denoiser row (one sample, one denoising step) from the model config, following the
// Dif network of docs/MODEL-SPEC.md. Only matrix products are counted (2 FLOPs per multiply-add):
// they are what a GEMM peak can be compared with; norms, rotary, softmax and SiLU are elementwise and
// add well under 1 % at the shipped sizes.
import { type ModelConfig, condMaxLenOf } from "@ldtext/core";

export interface DenoiserFlops {
  /** sinus(t) @ w1, @ w2 (per row, not per position). */
  time: number;
  /** concat(x_t, x_sc) @ dif.in.w. */
  input: number;
  /** q, k, v, o projections of every block. */
  attnProj: number;
  /** q kᵀ and softmax · v of every block. */
  attnScores: number;
  /** Cross-attention of every block (conditional models; 0 otherwise). */
  cross: number;
  /** SwiGLU w1, w3, w2 of every block. */
  mlp: number;
  /** h @ dif.out.w. */
  output: number;
  total: number;
}

/**
 * Matmul FLOPs of the denoiser for one row. `condLen` is the document length S the cross-attention
 * sees (conditional models; defaults to the config's condMaxLen).
 */
export function denoiserFlopsPerRow(cfg: ModelConfig, condLen = condMaxLenOf(cfg)): DenoiserFlops {
  const L = cfg.maxLen;
  const d = cfg.latentDim;
  const { dModel: D, layers, ffn: F } = cfg.dif;
  const mm = (rows: number, k: number, n: number) => 2 * rows * k * n;
  const time = mm(1, D, D) * 2;
  const input = mm(L, 2 * d, D);
  const attnProj = layers * 4 * mm(L, D, D);
  // Per head: [L, dh] x [dh, L] and [L, L] x [L, dh]; summed over heads that is 2 · (L·L·D) MACs.
  const attnScores = layers * 2 * mm(L, D, L);
  let cross = 0;
  if (cfg.task === "summarize") {
    const Dc = cfg.condEnc.dModel;
    const S = condLen;
    cross = layers * (2 * mm(L, D, D) + 2 * mm(S, Dc, D) + 2 * mm(L, D, S));
  }
  const mlp = layers * 3 * mm(L, D, F);
  const output = mm(L, D, d);
  return { time, input, attnProj, attnScores, cross, mlp, output, total: time + input + attnProj + attnScores + cross + mlp + output };
}

/** FLOPs of a [M, K] × [K, N] matrix product. */
export function gemmFlops(M: number, K: number, N: number): number {
  return 2 * M * K * N;
}
