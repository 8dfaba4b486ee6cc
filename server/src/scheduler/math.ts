// The scheduler's SamplingMath backed by @ldtext/core (time grid, counter-based noise, DDIM/SDE/ODE
// steps, guidance): the server never re-implements sampler math or random numbers.
import { cfgCombine, ddimStep, gaussianNoise, makeSchedule, odeStep, sdeStep, timeGrid } from "@ldtext/core";
import type { ScheduleConfig } from "@ldtext/core";
import type { SamplingMath } from "./types.ts";

export function coreMath(schedule: ScheduleConfig, tEnd = 0.01): SamplingMath {
  const sch = makeSchedule(schedule);
  return {
    timeGrid: (steps) => timeGrid(steps, tEnd),
    noise: (seed, step, row, count) => gaussianNoise(seed, step, row, count),
    step(sampler, x, x0hat, t, s, noise, out) {
      if (sampler === "ddim") ddimStep(x, x0hat, t, s, sch, out);
      else if (sampler === "ode") odeStep(x, x0hat, t, s, sch, out);
      else {
        if (!noise) throw new RangeError("the sde sampler needs noise");
        sdeStep(x, x0hat, t, s, sch, noise, out);
      }
    },
    cfg: (cond, uncond, w, out) => void cfgCombine(out, cond, uncond, w),
  };
}
