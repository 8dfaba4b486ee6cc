// Samplers' math over Float32Arrays, independent of any runtime (docs/METHOD.md §4, MODEL-SPEC
// "Sampling"). The denoiser predicts x̂0; every update goes from time t to an earlier time s < t:
//
//   ddim : ε̂ = (x − α_t x̂0) / σ_t;  x_s = α_s x̂0 + σ_s ε̂                     (deterministic)
//   sde  : Euler–Maruyama on the reverse-time VP SDE dx = [−½βx − β∇log p] dt + sqrt(β) dW̄,
//          with ∇log p = −(x − α_t x̂0)/σ_t² and λ = β(t)(t − s):
//          x_s = x + λ[½x − (x − α_t x̂0)/σ_t²] + sqrt(λ) z
//   ode  : Euler on the probability-flow ODE dx/dt = −½βx + ½β(x − α_t x̂0)/σ_t²:
//          x_s = x + ½λ[x − (x − α_t x̂0)/σ_t²]
//
// Stiffness treatment (documented choice): β → ∞ at t = 1 for tan-d and cosine, and the drift's
// coefficient on x grows like β/σ² as σ → 0, so a plain Euler step with κ = λ/σ_t² ≳ 1 overshoots or
// diverges. Where κ > EULER_STIFFNESS_LIMIT the step uses the *exact* transition of the same
// equation with x̂0 held fixed over the step: for the SDE the Gaussian posterior q(x_s | x_t, x̂0)
// (DDPM's ancestral step), for the ODE the DDIM update. Euler/Euler–Maruyama converge to these as
// the step shrinks, and they stay bounded as β → ∞. With many steps (e.g. N ≥ 500 on tan-d) nearly
// every step is plain Euler; with few steps most are exact transitions. `usesEuler` tells which.
import type { NoiseSchedule } from "./schedule.ts";

export type SamplerKind = "ddim" | "sde" | "ode";
export const SAMPLER_KINDS: readonly SamplerKind[] = ["ddim", "sde", "ode"];

/** Above this κ = β(t)(t − s)/σ_t², sde/ode steps use the exact fixed-x̂0 transition instead of Euler. */
export const EULER_STIFFNESS_LIMIT = 0.5;

/** linspace(1, tEnd, steps + 1): the times a sampler with `steps` denoiser calls visits. */
export function timeGrid(steps: number, tEnd = 0.01): Float64Array {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  if (!(tEnd >= 0 && tEnd < 1)) throw new RangeError(`tEnd must be in [0, 1), got ${tEnd}`);
  const g = new Float64Array(steps + 1);
  for (let i = 0; i <= steps; i++) g[i] = 1 + ((tEnd - 1) * i) / steps;
  g[steps] = tEnd;
  return g;
}

function checkTimes(t: number, s: number): void {
  if (!(t >= 0 && t <= 1 && s >= 0 && s <= t)) throw new RangeError(`a sampler step needs 0 ≤ s ≤ t ≤ 1, got t=${t}, s=${s}`);
}

function checkLengths(x: Float32Array, x0hat: Float32Array, out: Float32Array): void {
  if (x0hat.length !== x.length || out.length !== x.length) {
    throw new RangeError(`x (${x.length}), x0hat (${x0hat.length}) and out (${out.length}) must have the same length`);
  }
}

/** Whether an sde/ode step from t to s is a plain Euler step (else the exact fixed-x̂0 transition). */
export function usesEuler(t: number, s: number, schedule: NoiseSchedule): boolean {
  const sigma2 = 1 - schedule.alpha2(t);
  const lambda = schedule.beta(t) * (t - s);
  return sigma2 > 0 && Number.isFinite(lambda) && lambda / sigma2 <= EULER_STIFFNESS_LIMIT;
}

/** DDIM (η = 0) update of one row; `out` may alias `x`. */
export function ddimStep(x: Float32Array, x0hat: Float32Array, t: number, s: number, schedule: NoiseSchedule, out: Float32Array): void {
  checkTimes(t, s);
  checkLengths(x, x0hat, out);
  const at = schedule.alpha(t);
  const st = schedule.sigma(t);
  const as = schedule.alpha(s);
  const ss = schedule.sigma(s);
  if (st === 0) {
    // t = 0 (and so s = 0): nothing is left to denoise.
    out.set(x0hat);
    return;
  }
  for (let i = 0; i < x.length; i++) {
    const eps = (x[i] - at * x0hat[i]) / st;
    out[i] = as * x0hat[i] + ss * eps;
  }
}

/** Exact reverse transition with x̂0 fixed: x_s ~ q(x_s | x_t, x0 = x̂0) (DDPM posterior). */
function posteriorStep(x: Float32Array, x0hat: Float32Array, t: number, s: number, schedule: NoiseSchedule, noise: Float32Array, out: Float32Array): void {
  const a2t = schedule.alpha2(t);
  const a2s = schedule.alpha2(s);
  const s2t = 1 - a2t;
  const s2s = 1 - a2s;
  if (s2t === 0 || a2s === 0) {
    // t = 0, or s is itself pure noise: the state is already what it should be.
    out.set(s2t === 0 ? x0hat : x);
    return;
  }
  // VP: σ²_{t|s} = 1 − α_t²/α_s²; written with expm1 to keep precision for short steps.
  const s2ts = a2t === 0 ? 1 : -Math.expm1(Math.log(a2t) - Math.log(a2s));
  const ats = Math.sqrt(a2t / a2s);
  const cx = (ats * s2s) / s2t;
  const c0 = (Math.sqrt(a2s) * s2ts) / s2t;
  const std = Math.sqrt((s2ts * s2s) / s2t);
  for (let i = 0; i < x.length; i++) out[i] = cx * x[i] + c0 * x0hat[i] + std * noise[i];
}

/** Reverse-SDE update of one row (Euler–Maruyama, exact transition where stiff); `out` may alias `x`. */
export function sdeStep(
  x: Float32Array, x0hat: Float32Array, t: number, s: number, schedule: NoiseSchedule, noise: Float32Array, out: Float32Array,
): void {
  checkTimes(t, s);
  checkLengths(x, x0hat, out);
  if (noise.length !== x.length) throw new RangeError(`noise (${noise.length}) must have the length of x (${x.length})`);
  if (s === t) {
    out.set(x);
    return;
  }
  if (!usesEuler(t, s, schedule)) {
    posteriorStep(x, x0hat, t, s, schedule, noise, out);
    return;
  }
  const at = schedule.alpha(t);
  const inv2 = 1 / (1 - schedule.alpha2(t));
  const lambda = schedule.beta(t) * (t - s);
  const sq = Math.sqrt(lambda);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    out[i] = xi + lambda * (0.5 * xi - (xi - at * x0hat[i]) * inv2) + sq * noise[i];
  }
}

/** Probability-flow ODE update of one row (Euler, DDIM where stiff); `out` may alias `x`. */
export function odeStep(x: Float32Array, x0hat: Float32Array, t: number, s: number, schedule: NoiseSchedule, out: Float32Array): void {
  checkTimes(t, s);
  checkLengths(x, x0hat, out);
  if (!usesEuler(t, s, schedule)) {
    ddimStep(x, x0hat, t, s, schedule, out);
    return;
  }
  const at = schedule.alpha(t);
  const inv2 = 1 / (1 - schedule.alpha2(t));
  const halfLambda = 0.5 * schedule.beta(t) * (t - s);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    out[i] = xi + halfLambda * (xi - (xi - at * x0hat[i]) * inv2);
  }
}

/**
 * One row's update by sampler kind (`noise`, standard normal of the row's length, only for "sde"):
 * the per-row step every sampling loop uses (through the scheduler's SamplingMath, ./scheduler/math.ts).
 * `out` may alias `x`.
 */
export function rowStep(
  kind: SamplerKind, x: Float32Array, x0hat: Float32Array, t: number, s: number, schedule: NoiseSchedule, noise: Float32Array | null, out: Float32Array,
): void {
  switch (kind) {
    case "ddim":
      ddimStep(x, x0hat, t, s, schedule, out);
      return;
    case "ode":
      odeStep(x, x0hat, t, s, schedule, out);
      return;
    case "sde":
      if (!noise) throw new RangeError("the sde sampler needs noise");
      sdeStep(x, x0hat, t, s, schedule, noise, out);
      return;
    default:
      throw new RangeError(`unknown sampler kind ${String(kind)}`);
  }
}

/** Classifier-free guidance: out = c + w·(c − u), elementwise; `out` may alias `cond`. */
export function cfgCombine(out: Float32Array, cond: Float32Array, uncond: Float32Array, w: number): Float32Array {
  if (cond.length !== uncond.length || out.length !== cond.length) {
    throw new RangeError(`cfgCombine: out (${out.length}), cond (${cond.length}) and uncond (${uncond.length}) must have the same length`);
  }
  for (let i = 0; i < cond.length; i++) out[i] = cond[i] + w * (cond[i] - uncond[i]);
  return out;
}
