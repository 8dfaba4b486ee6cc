import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { makeSchedule, type NoiseSchedule } from "./schedule.ts";
import { gaussianNoise } from "./rng.ts";
import { timeGrid, ddimStep, sdeStep, odeStep, rowStep, cfgCombine, usesEuler, type SamplerKind } from "./sampler.ts";

const DIM = 2048;
const x0 = gaussianNoise(1, 0, 99, DIM).map((v) => 0.5 * v + 0.3); // the "data" the oracle knows

/** Run a whole sampler with an oracle denoiser (x̂0 = x0); returns the final x. */
function sample(kind: SamplerKind, steps: number, schedule: NoiseSchedule, tEnd: number, seed = 5): Float32Array {
  const grid = timeGrid(steps, tEnd);
  let x = gaussianNoise(seed, 0, 0, DIM);
  for (let i = 0; i < steps; i++) {
    const noise = kind === "sde" ? gaussianNoise(seed, i + 1, 0, DIM) : null;
    const next = new Float32Array(DIM);
    rowStep(kind, x, x0, grid[i], grid[i + 1], schedule, noise, next);
    x = next;
    for (const v of x) assert.ok(Number.isFinite(v), `${kind} produced a non-finite value at step ${i}`);
  }
  return x;
}

const rms = (a: Float32Array, b: (i: number) => number) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b(i)) ** 2;
  return Math.sqrt(s / a.length);
};

describe("timeGrid", () => {
  test("linspace(1, tEnd, N + 1)", () => {
    assert.deepEqual([...timeGrid(4, 0.2)].map((v) => +v.toFixed(12)), [1, 0.8, 0.6, 0.4, 0.2]);
    assert.equal(timeGrid(50)[50], 0.01);
    assert.throws(() => timeGrid(0));
  });
});

describe("samplers with an oracle denoiser", () => {
  for (const name of ["tan-d", "cosine", "sqrt"] as const) {
    const sch = makeSchedule(name);
    test(`${name}: DDIM with an oracle lands exactly on α x0 + σ ε (x0 itself at tEnd = 0 where σ(0) = 0)`, () => {
      const eps = gaussianNoise(5, 0, 0, DIM);
      for (const steps of [1, 3, 10, 50]) {
        for (const tEnd of [0, 0.01]) {
          const x = sample("ddim", steps, sch, tEnd);
          const a = sch.alpha(tEnd);
          const s = sch.sigma(tEnd);
          const err = rms(x, (i) => a * x0[i] + s * eps[i]);
          assert.ok(err < 1e-5, `${name} N=${steps} tEnd=${tEnd}: rms ${err}`);
          if (tEnd === 0 && name !== "sqrt") assert.ok(rms(x, (i) => x0[i]) < 1e-5, "reaches x0");
        }
      }
    });
  }

  const tan = makeSchedule("tan-d");
  for (const steps of [20, 1000]) {
    test(`tan-d: SDE (N=${steps}) ends on the right marginal: (x − α x0)/σ ~ N(0, 1)`, () => {
      const tEnd = 0.05;
      const x = sample("sde", steps, tan, tEnd);
      const a = tan.alpha(tEnd);
      const s = tan.sigma(tEnd);
      const z = x.map((v, i) => (v - a * x0[i]) / s);
      const mean = z.reduce((p, v) => p + v, 0) / DIM;
      const variance = z.reduce((p, v) => p + v * v, 0) / DIM - mean * mean;
      assert.ok(Math.abs(mean) < 0.1, `mean ${mean}`);
      assert.ok(Math.abs(variance - 1) < 0.15, `variance ${variance}`);
      // and the noise is fresh, not the initial noise carried along (that would be DDIM)
      const eps = gaussianNoise(5, 0, 0, DIM);
      const corr = z.reduce((p, v, i) => p + v * eps[i], 0) / DIM;
      assert.ok(corr < 0.5, `correlation with the initial noise ${corr}`);
    });
  }

  test("tan-d: probability-flow ODE (Euler, N=1000) lands close to DDIM's exact answer", () => {
    const x = sample("ode", 1000, tan, 0.05);
    const ref = sample("ddim", 1000, tan, 0.05);
    const err = rms(x, (i) => ref[i]);
    assert.ok(err < 0.05 * tan.sigma(0.05) + 1e-3, `ode vs ddim rms ${err}`);
  });

  test("the stiffness treatment: Euler away from t = 1, exact transitions near it; finite at t = 1", () => {
    const grid = timeGrid(1000, 0.01);
    let euler = 0;
    for (let i = 0; i < 1000; i++) if (usesEuler(grid[i], grid[i + 1], tan)) euler++;
    assert.ok(euler > 900, `only ${euler}/1000 Euler steps`);
    assert.equal(usesEuler(1, 0.999, tan), false, "β(1) = ∞ must not be stepped with Euler");
    const x = gaussianNoise(3, 0, 0, DIM);
    const out = new Float32Array(DIM);
    sdeStep(x, x0, 1, 0.98, tan, gaussianNoise(3, 1, 0, DIM), out);
    assert.ok(out.every(Number.isFinite));
    odeStep(x, x0, 1, 0.98, tan, out);
    assert.ok(out.every(Number.isFinite));
  });

  test("an Euler–Maruyama step is the textbook formula", () => {
    const t = 0.5;
    const s = 0.499;
    assert.ok(usesEuler(t, s, tan));
    const x = gaussianNoise(8, 0, 0, 16);
    const z = gaussianNoise(8, 1, 0, 16);
    const out = new Float32Array(16);
    sdeStep(x, x0.subarray(0, 16), t, s, tan, z, out);
    const lam = tan.beta(t) * (t - s);
    const a = tan.alpha(t);
    const s2 = tan.sigma(t) ** 2;
    for (let i = 0; i < 16; i++) {
      const score = -(x[i] - a * x0[i]) / s2;
      const expected = x[i] + lam * (0.5 * x[i] + score) + Math.sqrt(lam) * z[i];
      assert.ok(Math.abs(out[i] - expected) < 1e-5);
    }
  });
});

describe("rowStep", () => {
  test("dispatches to the sampler's own update (in place too) and checks its inputs", () => {
    const sch = makeSchedule("tan-d");
    const n = 24;
    const x = gaussianNoise(11, 0, 0, n);
    const h = gaussianNoise(12, 0, 0, n);
    const z = gaussianNoise(1, 7, 1, n);
    const cases: [SamplerKind, number, number, (out: Float32Array) => void][] = [
      ["ddim", 1, 0.9, (out) => ddimStep(x, h, 1, 0.9, sch, out)],
      ["sde", 0.5, 0.49, (out) => sdeStep(x, h, 0.5, 0.49, sch, z, out)],
      ["ode", 0.3, 0.2, (out) => odeStep(x, h, 0.3, 0.2, sch, out)],
    ];
    for (const [kind, t, s, direct] of cases) {
      const want = new Float32Array(n);
      direct(want);
      const got = new Float32Array(n);
      rowStep(kind, x, h, t, s, sch, kind === "sde" ? z : null, got);
      assert.deepEqual(got, want, kind);
      const xi = x.slice();
      rowStep(kind, xi, h, t, s, sch, kind === "sde" ? z : null, xi);
      assert.deepEqual(xi, want, `${kind} in place`);
    }
    assert.throws(() => rowStep("sde", x, h, 1, 0.9, sch, null, new Float32Array(n)), /needs noise/);
    assert.throws(() => rowStep("ddim", x, h, 0.2, 0.3, sch, null, new Float32Array(n)), /s ≤ t/);
    assert.throws(() => rowStep("euler" as SamplerKind, x, h, 1, 0.9, sch, null, new Float32Array(n)), /unknown sampler kind/);
  });

  test("cfgCombine", () => {
    const c = Float32Array.from([1, 2, 3]);
    const u = Float32Array.from([0, 2, 5]);
    assert.deepEqual([...cfgCombine(new Float32Array(3), c, u, 0.5)], [1.5, 2, 2]);
    assert.deepEqual([...cfgCombine(new Float32Array(3), c, u, 0)], [1, 2, 3]);
  });
});
