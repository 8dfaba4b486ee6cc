// Where along the noise schedule a trained denoiser stops recovering text. For validation texts
// x0 = Enc(tokens) is noised to x_t at each probed t; the profile reports the token accuracy of
// Dec(x̂0) after one denoiser call and after DDIM from t down to the sampler's end (self-conditioned,
// as generation samples), plus one text round trip per t. A model whose samples read as word salad
// although it reconstructs (clean-latent accuracy ≥ 95 %) shows here at which signal-to-noise ratio
// the denoiser loses the sentence.
import * as tf from "@tensorflow/tfjs";
import { gaussianNoise, makeSchedule } from "@ldtext/core";
import { ddimAlong, type InferenceNetworks } from "@ldtext/training";

export interface ProfileRow {
  t: number;
  /** α_t² / σ_t². */
  snr: number;
  /** Token accuracy of Dec(x̂0(x_t)) after one denoiser call (no self-conditioning), pad excluded. */
  oneStepAccuracy: number;
  /** Token accuracy after DDIM from t to `tEnd` in `ddimSteps` self-conditioned steps. */
  ddimAccuracy: number;
  ddimSteps: number;
  /** Token ids `[L]` of the first text after DDIM. */
  firstIds: Int32Array;
}

export interface ProfileOptions {
  ts: readonly number[];
  /** DDIM steps for t = 1; a probe at t uses round(t · stepsPerUnit), at least 1. */
  stepsPerUnit?: number;
  tEnd?: number;
  seed?: number;
}

/** `tokens` int32 `[B·L]` (0 = pad) of B texts of length L = modelConfig.maxLen. */
export function denoiserProfile(nets: InferenceNetworks, tokens: Int32Array, opts: ProfileOptions): ProfileRow[] {
  const mc = nets.modelConfig;
  if (mc.task !== "generate") throw new Error("the denoiser profile is for unconditional (generate) models");
  const L = mc.maxLen;
  const d = mc.latentDim;
  if (tokens.length === 0 || tokens.length % L !== 0) throw new Error(`tokens must hold whole rows of ${L}`);
  const b = tokens.length / L;
  const schedule = makeSchedule(mc.schedule);
  const tEnd = opts.tEnd ?? 0.01;
  const perUnit = opts.stepsPerUnit ?? 50;
  const x0 = tf.tidy(() => Float32Array.from(nets.encode(tf.tensor2d(tokens, [b, L], "int32")).dataSync() as Float32Array));
  const decode = (lat: Float32Array) => tf.tidy(() => Int32Array.from(tf.argMax(nets.decode(tf.tensor3d(lat, [b, L, d])), -1).dataSync() as Int32Array));
  const accuracy = (ids: Int32Array) => {
    let right = 0;
    let counted = 0;
    for (let i = 0; i < ids.length; i++) {
      if (tokens[i] === 0) continue;
      counted++;
      if (ids[i] === tokens[i]) right++;
    }
    return counted ? right / counted : 0;
  };
  return opts.ts.map((t, k) => {
    if (!(t > tEnd && t <= 1)) throw new RangeError(`probe t must be in (${tEnd}, 1], got ${t}`);
    const a = schedule.alpha(t);
    const s = schedule.sigma(t);
    const eps = gaussianNoise(opts.seed ?? 0, k, 0, x0.length);
    const x = Float32Array.from(x0, (v, i) => a * v + s * eps[i]);
    // One call is the first interval of the same loop generation runs (x̂0 at t, no self-conditioning).
    const oneStepAccuracy = accuracy(decode(ddimAlong(nets, x, [t, tEnd])));
    const steps = Math.max(1, Math.round(t * perUnit));
    const grid = Array.from({ length: steps + 1 }, (_, i) => (i === steps ? tEnd : t + ((tEnd - t) * i) / steps));
    const x0hat = ddimAlong(nets, x, grid);
    const ids = decode(x0hat);
    return { t, snr: (a * a) / (s * s), oneStepAccuracy, ddimAccuracy: accuracy(ids), ddimSteps: steps, firstIds: ids.slice(0, L) };
  });
}
