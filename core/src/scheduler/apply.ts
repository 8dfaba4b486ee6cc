// The sampler update of one tick, given the denoiser's output: guidance combine, then each sample's
// own sampler step with its own noise stream. Pure; runs where the denoiser runs (the engine worker),
// so the per-element math and noise generation stay off the HTTP thread.
import type { SamplingMath, StepBatch, StepResult } from "./types.ts";

/** Step 0: the initial latent x ~ N(0, I) of each new sample, written into its row(s) of `x`. */
export function initLatents(batch: StepBatch, math: SamplingMath, ld: number): void {
  for (const p of batch.samples) {
    if (!p.init) continue;
    const noise = math.noise(p.seed, 0, p.sample, ld);
    batch.x.set(noise, p.row * ld);
    if (p.uncondRow >= 0) batch.x.set(noise, p.uncondRow * ld);
  }
}

export function applySampler(out: Float32Array, batch: StepBatch, math: SamplingMath, ld: number): StepResult {
  const k = batch.samples.length;
  const x = new Float32Array(k * ld);
  const x0 = new Float32Array(k * ld);
  for (let i = 0; i < k; i++) {
    const p = batch.samples[i];
    const c = out.subarray(p.row * ld, (p.row + 1) * ld);
    const x0i = x0.subarray(i * ld, (i + 1) * ld);
    if (p.uncondRow >= 0) math.cfg(c, out.subarray(p.uncondRow * ld, (p.uncondRow + 1) * ld), p.guidance, x0i);
    else x0i.set(c);
    const noise = p.sampler === "sde" ? math.noise(p.seed, p.step + 1, p.sample, ld) : null;
    math.step(p.sampler, batch.x.subarray(p.row * ld, (p.row + 1) * ld), x0i, p.t, p.s, noise, x.subarray(i * ld, (i + 1) * ld));
  }
  return { x, x0 };
}
