// Progress where a sentence is decided: L_dif and the token accuracy of Dec(x̂0) at a few fixed
// signal-to-noise ratios, after one denoiser call and after a second, self-conditioned call (x̂0 of
// the first fed back as generation does). Uniform-t validation loss is dominated by SNRs where
// nothing can be learned (under tan-9 half of t has SNR < 0.012), so it plateaus while samples still
// improve; these probes move with the samples. Fixed SNRs, not fixed t, so that runs with different
// schedules are compared at the same noise level.
import * as tf from "@tensorflow/tfjs";
import { type NoiseSchedule, PROBE_ROW_BASE, PROBE_SNRS, type SnrProbe, gaussianNoise, makeSchedule, tAtLogSnr } from "@ldtext/core";
import type { LatentDiffusionModel } from "../model/model.ts";
import type { Normalizer } from "../model/normalize.ts";
import { gatherBatch, type TokenizedSplit } from "./data.ts";
import type { JointObjective } from "./objective.ts";

export { PROBE_SNRS, type SnrProbe };

/**
 * What the documents add: accuracy points (one call) of the own-document probe over the
 * null-condition probe, per SNR both measured — the one rule the log line and docgain.svg read.
 */
export function documentGain(own: readonly SnrProbe[], none: readonly SnrProbe[]): { snr: number; points: number }[] {
  return own.flatMap((p) => {
    const q = none.find((x) => x.snr === p.snr);
    return q ? [{ snr: p.snr, points: 100 * (p.acc - q.acc) }] : [];
  });
}

/**
 * Probe `split` (its first `maxRows` rows, in batches of `batch`) at each SNR (a summarizer's rows
 * with their own documents, or with `nullCondition` all with the null condition). Noise is keyed by
 * (seed, row), so consecutive validations and different runs see the same ε.
 */
export function probeFixedSnr(
  model: LatentDiffusionModel,
  objective: JointObjective,
  norm: Normalizer,
  split: TokenizedSplit,
  o: { batch: number; seed: number; maxRows?: number; snrs?: readonly number[]; nullCondition?: boolean },
): SnrProbe[] {
  const schedule: NoiseSchedule = makeSchedule(model.cfg.schedule);
  const W = model.weights();
  const { enc, dec, dif } = model.nets;
  const d = model.cfg.latentDim;
  const rows = Math.min(split.count, o.maxRows ?? split.count);
  const snrs = o.snrs ?? PROBE_SNRS;
  const acc = snrs.map(() => ({ se: 0, n: 0, hit: 0, hitSc: 0, counted: 0 }));
  for (let start = 0; start < rows; start += o.batch) {
    const idx = Array.from({ length: Math.min(o.batch, rows - start) }, (_, i) => start + i);
    const batch = gatherBatch(split, idx);
    const b = batch.batch;
    const L = batch.length;
    const eps = gaussianNoise(o.seed, 0, PROBE_ROW_BASE + start, b * L * d);
    // One tidy per SNR: the decoder's [B, L, V] logits are ~130 MB each at V = 16,384, and wasm
    // memory is capped at 4 GB, so nothing from one SNR may outlive it.
    const x0 = tf.tidy(() => norm.apply(enc.forward(tf.tensor2d(batch.tokens, [b, L], "int32"), W)));
    const noise = tf.tensor3d(eps, [b, L, d]);
    // In a tidy: the condition encoder's intermediates (attention maps over the document among them)
    // would otherwise outlive the probe — 1.7 GB a validation at batch 64, until wasm's 4 GB ran out.
    // nullCondition: every row gets the learned null condition instead of its document (what
    // classifier-free guidance's unconditional branch sees), so own − null is what the document adds.
    const keep = o.nullCondition ? new Float32Array(b) : undefined;
    const c = batch.cond ? tf.tidy(() => objective.condition(batch, keep)) : null;
    const condArgs = c ? { cond: c.cond, condMask: c.mask } : {};
    snrs.forEach((snr, k) => {
      const t = tAtLogSnr(schedule, Math.log(snr));
      const a = acc[k];
      const [se, p1, p2] = tf.tidy(() => {
        const xt = tf.add(tf.mul(schedule.alpha(t), x0), tf.mul(schedule.sigma(t), noise)) as tf.Tensor3D;
        const tv = tf.fill([b], t) as tf.Tensor1D;
        const x1 = dif.forward({ xt, xsc: tf.zerosLike(xt), t: tv, ...condArgs }, W);
        const x2 = dif.forward({ xt, xsc: x1, t: tv, ...condArgs }, W);
        const err = tf.sum(tf.square(tf.sub(x0, x1))).dataSync()[0];
        const ids1 = tf.argMax(dec.forward(x1, W), -1).dataSync();
        const ids2 = tf.argMax(dec.forward(x2, W), -1).dataSync();
        return [err, ids1, ids2] as const;
      });
      a.se += se;
      a.n += b * L * d;
      for (let i = 0; i < p1.length; i++) {
        if (batch.tokens[i] === 0) continue;
        a.counted++;
        if (p1[i] === batch.tokens[i]) a.hit++;
        if (p2[i] === batch.tokens[i]) a.hitSc++;
      }
    });
    tf.dispose([x0, noise, ...(c ? [c.cond, c.mask] : [])]);
  }
  return snrs.map((snr, k) => {
    const a = acc[k];
    return { snr, t: tAtLogSnr(schedule, Math.log(snr)), dif: a.se / Math.max(1, a.n), acc: a.hit / Math.max(1, a.counted), accSc: a.hitSc / Math.max(1, a.counted) };
  });
}
