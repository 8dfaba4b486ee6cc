// The fixed-SNR probe's contract, shared by training (TF.js, every validation) and evaluation (ONNX,
// `npm run eval` on an artifact with an encoder graph): where and how a denoiser is probed.

/** The probe SNRs: 2 (words mostly readable), 0.5, 0.12 (where tan-9 runs lose the sentence), 0.05. */
export const PROBE_SNRS = [2, 0.5, 0.12, 0.05] as const;

/** Noise rows of the probe are keyed by (seed, 0, PROBE_ROW_BASE + row): the same ε in both packages. */
export const PROBE_ROW_BASE = 2_000_000;

export interface SnrProbe {
  snr: number;
  /** The t of this model's schedule at that SNR. */
  t: number;
  /** Mean squared error of x̂0 (no self-conditioning). */
  dif: number;
  /** Token accuracy of argmax Dec(x̂0) over non-PAD positions: one call, and self-conditioned. */
  acc: number;
  accSc: number;
}
