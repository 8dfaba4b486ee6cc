// The scheduler's SamplingMath backed by core's sampler math (time grid, counter-based noise,
// DDIM/SDE/ODE steps, guidance): no sampling loop re-implements sampler math or random numbers.
import { cfgCombine, rowStep, timeGrid } from "../sampler.ts";
import { gaussianNoise } from "../rng.ts";
import { makeSchedule } from "../schedule.ts";
import type { ScheduleConfig } from "../config.ts";
import type { SamplingMath } from "./types.ts";

export function coreMath(schedule: ScheduleConfig, tEnd = 0.01): SamplingMath {
  const sch = makeSchedule(schedule);
  return {
    timeGrid: (steps) => timeGrid(steps, tEnd),
    noise: (seed, step, row, count) => gaussianNoise(seed, step, row, count),
    step: (sampler, x, x0hat, t, s, noise, out) => rowStep(sampler, x, x0hat, t, s, sch, noise, out),
    cfg: (cond, uncond, w, out) => void cfgCombine(out, cond, uncond, w),
  };
}
