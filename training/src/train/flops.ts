// Compute spent on training, for plots of quality against compute (reports/quality-vs-compute.md).
// An estimate, counted the way scaling-law papers count it: 2 FLOPs per parameter per token for a
// forward pass and 4 for a backward pass, over the weights each pass touches; attention's
// token-by-token products and elementwise work are left out (at L = 64 and D = 256 they add ~10 %).

export interface StepShape {
  /** Parameters per network. */
  params: { enc: number; dec: number; dif: number; cond: number };
  /** Tokens per step (batch × L). */
  tokens: number;
  /** Share of steps with a self-conditioning pre-pass (an extra Dif forward). */
  selfCondProb: number;
  /** Dif-only steps (--freeze-ae): no Enc/Dec training; with cached encodings no Enc forward either. */
  freezeAe: boolean;
  /** Dec-only steps (--decoder-only): Dif forward only (its x̂0 feeds Dec), Dec forward and backward. */
  decoderOnly?: boolean;
  cachedEncodings: boolean;
  /** Configuration 3's extra decoder pass over a share of the rows. */
  decoderNoiseRows: number;
}

/** Estimated FLOPs of one training step. */
export function stepFlops(s: StepShape): number {
  const fwd = (p: number, share = 1) => 2 * p * s.tokens * share;
  const fwdBwd = (p: number, share = 1) => 6 * p * s.tokens * share;
  if (s.decoderOnly) return fwd(s.params.dif, 1 + s.selfCondProb) + fwdBwd(s.params.dec, 1 + s.decoderNoiseRows) + (s.cachedEncodings ? 0 : fwd(s.params.enc + s.params.cond));
  const dif = fwdBwd(s.params.dif + s.params.cond) + fwd(s.params.dif, s.selfCondProb);
  if (s.freezeAe) return dif + (s.cachedEncodings ? 0 : fwd(s.params.enc));
  // Joint: Enc and Dec forward and backward; Dec also on x̂0 (through the frozen Dif pass) and on noised rows.
  return dif + fwdBwd(s.params.enc) + fwdBwd(s.params.dec, 1 + s.decoderNoiseRows) + fwdBwd(s.params.dif);
}
