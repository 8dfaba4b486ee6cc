// One tick's denoiser batch from the jobs a lane holds: the row layout (x, x_sc, per-row t and the
// padded condition rows) and each sample's sampler-update plan. Pure, so the layout every sampling
// loop shares is tested without a lane, a backend or a clock.
import type { ConditionEncoding, JobSpec, SamplePlan, StepBatch } from "./types.ts";

/** What the batch needs of a running job. */
export interface BatchJob {
  spec: Pick<JobSpec, "n" | "guidance" | "clamp" | "sampler" | "seed" | "firstSample">;
  /** Denoiser rows: 2n when guided, else n. */
  rows: number;
  grid: ArrayLike<number>;
  /** Index into `grid` of the current time. */
  step: number;
  /** `[n, L, d]` latents and self-conditioning input. */
  x: Float32Array;
  xsc: Float32Array;
  cond?: ConditionEncoding;
}

/**
 * Layout per job: n conditional rows, then (guided) n null-condition rows with the same x, x_sc.
 * Condition rows are padded to the longest encoding in the batch (mask 0 past a row's keys).
 */
export function buildStepBatch(jobs: readonly BatchJob[], ld: number, condDim: number): StepBatch {
  const rows = jobs.reduce((s, a) => s + a.rows, 0);
  const x = new Float32Array(rows * ld);
  const xsc = new Float32Array(rows * ld);
  const t = new Float32Array(rows);
  const conditional = condDim > 0;
  let S = 1;
  if (conditional) for (const a of jobs) S = Math.max(S, a.cond?.len ?? 1);
  const cond = conditional ? new Float32Array(rows * S * condDim) : undefined;
  const mask = conditional ? new Float32Array(rows * S) : undefined;

  let row = 0;
  for (const a of jobs) {
    const tNow = a.grid[a.step];
    const copies = a.rows / a.spec.n;
    for (let c = 0; c < copies; c++) {
      x.set(a.x, row * ld);
      xsc.set(a.xsc, row * ld);
      for (let r = 0; r < a.spec.n; r++) {
        t[row + r] = tNow;
        if (cond && mask && a.cond) {
          const at = (row + r) * S;
          if (c === 1) {
            cond.set(a.cond.nullCond, at * condDim);
            mask[at] = 1;
          } else {
            cond.set(a.cond.cond, at * condDim);
            if (a.cond.mask) mask.set(a.cond.mask, at);
            else mask.fill(1, at, at + a.cond.len);
          }
        }
      }
      row += a.spec.n;
    }
  }
  return { rows, x, xsc, t, cond: cond && mask ? { data: cond, mask, S } : undefined, samples: samplePlans(jobs) };
}

/** Whether a sample with threshold `clamp` (0 = off) clamps at time `t`: the one rule for the backend and the estimate. */
export function clampsAt(clamp: number, t: number): boolean {
  return clamp > 0 && t <= clamp;
}

/** Each sample's update: its x sits in its conditional row; guided samples also name their null row. */
function samplePlans(jobs: readonly BatchJob[]): SamplePlan[] {
  const samples: SamplePlan[] = [];
  let row = 0;
  for (const a of jobs) {
    const n = a.spec.n;
    const first = a.spec.firstSample ?? 0;
    for (let r = 0; r < n; r++) {
      samples.push({
        row: row + r,
        uncondRow: a.rows > n ? row + n + r : -1,
        guidance: a.spec.guidance,
        clamp: a.spec.clamp ?? 0,
        sampler: a.spec.sampler,
        t: a.grid[a.step],
        s: a.grid[a.step + 1],
        seed: a.spec.seed,
        step: a.step,
        sample: first + r,
        init: a.step === 0,
      });
    }
    row += a.rows;
  }
  return samples;
}
