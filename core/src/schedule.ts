// Variance-preserving noise schedules as pure functions of t ∈ [0, 1] (t = 0 clean, t = 1 noise):
// x_t = α_t·x0 + σ_t·ε with α_t² + σ_t² = 1 (docs/METHOD.md §4).
//
//   tan-d  : α² = 1 / (1 + d²·tan²(πt/2))   (TEncDM; d = 9 default)
//   cosine : α² = cos²(πt/2)
//   sqrt   : α² = 1 − sqrt(t + 1e-4)         (Diffusion-LM)
//
// β(t) = −d/dt ln α² (the VP SDE's rate: dx = −½β x dt + sqrt(β) dW), computed analytically.
//
// Endpoints: tan(πt/2) is written as sin/cos so nothing overflows; for tan-d and cosine α is exactly
// 0 at t = 1 (float cos(π/2) is 6e-17, not 0, so t ≥ 1 is special-cased): σ = 1, logSNR = −∞,
// β = +∞. At t = 0: α = 1, σ = 0, logSNR = +∞, β = 0 (tan-d, cosine). sqrt's α² reaches 0 at
// t = 1 − 1e-4 and would be negative after it; it is clamped to 0 there, so t ∈ [0.9999, 1] is pure
// noise (logSNR = −∞, β = +∞); at t = 0 sqrt keeps α² = 0.99 (logSNR ≈ 4.6, not +∞).
import type { ScheduleConfig, ScheduleName } from "./config.ts";

export interface NoiseSchedule {
  readonly name: ScheduleName;
  /** Signal scale α_t. */
  alpha(t: number): number;
  /** Noise scale σ_t = sqrt(1 − α_t²). */
  sigma(t: number): number;
  /** α_t² (computed directly, more accurate than alpha(t)² near the ends). */
  alpha2(t: number): number;
  /** log(α_t² / σ_t²). */
  logSnr(t: number): number;
  /** β(t) = −d/dt ln α_t² ≥ 0 (+∞ where α = 0). */
  beta(t: number): number;
}

const SQRT_SHIFT = 1e-4;
const HALF_PI = Math.PI / 2;

function clampT(t: number): number {
  if (Number.isNaN(t)) throw new RangeError("t is NaN");
  return t < 0 ? 0 : t > 1 ? 1 : t;
}

/** α² and σ² for the tan/cos family, from u = πt/2, without cancellation near either end. */
function tanFamily(d: number): Omit<NoiseSchedule, "name" | "alpha" | "sigma"> & { sigma2(t: number): number } {
  const d2 = d * d;
  const parts = (t: number) => {
    const u = HALF_PI * clampT(t);
    const c = t >= 1 ? 0 : Math.cos(u);
    const s = t <= 0 ? 0 : Math.sin(u);
    return { c, s };
  };
  return {
    // α² = c² / (c² + d²s²), σ² = d²s² / (c² + d²s²).
    alpha2(t) {
      const { c, s } = parts(t);
      return (c * c) / (c * c + d2 * s * s);
    },
    sigma2(t) {
      const { c, s } = parts(t);
      return (d2 * s * s) / (c * c + d2 * s * s);
    },
    logSnr(t) {
      const { c, s } = parts(t);
      return 2 * (Math.log(c) - Math.log(d) - Math.log(s));
    },
    // −d/dt ln α² = π d² s / (c (c² + d² s²)).
    beta(t) {
      const { c, s } = parts(t);
      if (c === 0) return Infinity;
      return (Math.PI * d2 * s) / (c * (c * c + d2 * s * s));
    },
  };
}

function fromSquares(name: ScheduleName, f: ReturnType<typeof tanFamily>): NoiseSchedule {
  return {
    name,
    alpha2: f.alpha2,
    alpha: (t) => Math.sqrt(f.alpha2(t)),
    sigma: (t) => Math.sqrt(f.sigma2(t)),
    logSnr: f.logSnr,
    beta: f.beta,
  };
}

function sqrtSchedule(): NoiseSchedule {
  const root = (t: number) => Math.sqrt(clampT(t) + SQRT_SHIFT);
  const alpha2 = (t: number) => Math.max(0, 1 - root(t));
  const sigma2 = (t: number) => Math.min(1, root(t));
  return {
    name: "sqrt",
    alpha2,
    alpha: (t) => Math.sqrt(alpha2(t)),
    sigma: (t) => Math.sqrt(sigma2(t)),
    logSnr: (t) => Math.log(alpha2(t)) - Math.log(sigma2(t)),
    // d/dt ln(1 − r) with r = sqrt(t + s): −1 / (2r(1 − r)).
    beta(t) {
      const r = root(t);
      return r >= 1 ? Infinity : 1 / (2 * r * (1 - r));
    },
  };
}

/** The schedule a model config names (tan-d uses config.d, default 9). */
export function makeSchedule(config: ScheduleConfig | ScheduleName): NoiseSchedule {
  const cfg: ScheduleConfig = typeof config === "string" ? { name: config, d: 9 } : config;
  switch (cfg.name) {
    case "tan-d": {
      const d = cfg.d ?? 9;
      if (!(d > 0)) throw new RangeError(`tan-d needs d > 0, got ${d}`);
      return fromSquares("tan-d", tanFamily(d));
    }
    case "cosine":
      return fromSquares("cosine", tanFamily(1));
    case "sqrt":
      return sqrtSchedule();
  }
}

/**
 * The t at which a schedule reaches `logSnr` (logSNR is strictly decreasing in t for every schedule
 * here, so bisection is exact to float precision). Used to probe a denoiser at fixed signal-to-noise
 * ratios, which stay comparable when the schedule itself changes between runs.
 */
export function tAtLogSnr(schedule: NoiseSchedule, logSnr: number): number {
  if (!Number.isFinite(logSnr)) throw new RangeError(`logSNR must be finite, got ${logSnr}`);
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 80; i++) {
    const mid = 0.5 * (lo + hi);
    if (schedule.logSnr(mid) > logSnr) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}
