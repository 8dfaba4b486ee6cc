// Training options: preset defaults, configuration-3 switches, the coupling ramp, CLI parsing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PRESETS } from "@ldtext/core";
import { couplingAt, resolveTrainConfig } from "./config.ts";
import { parseTrainArgs } from "../cli/train.ts";
import { TimestepSampler } from "./timesteps.ts";
import { SeededRandom } from "@ldtext/core";

test("preset defaults fill steps, batch, length and lr; configuration 3 switches default on", () => {
  const c = resolveTrainConfig({ data: "rocstories", out: "x", preset: "small" });
  assert.equal(c.steps, PRESETS.small.steps);
  assert.equal(c.batch, PRESETS.small.batchSize);
  assert.equal(c.length, PRESETS.small.maxLen);
  assert.equal(c.lr, PRESETS.small.lr);
  assert.equal(c.config, 3);
  assert.ok(c.decoderNoise && c.aeWarmup && c.adaptiveT);
  const two = resolveTrainConfig({ data: "rocstories", out: "x", config: 2 });
  assert.ok(!two.decoderNoise && !two.aeWarmup && !two.adaptiveT);
});

test("bad combinations are clear errors", () => {
  assert.throws(() => resolveTrainConfig({ data: "d", out: "x", config: 2, decoderNoise: true }), /configuration-3 option/);
  assert.throws(() => resolveTrainConfig({ data: "d", out: "x", resume: true, initFrom: "c" }), /exclude each other/);
  assert.throws(() => resolveTrainConfig({ out: "x" }), /--data is required/);
  assert.doesNotThrow(() => resolveTrainConfig({ out: "x", resume: true }));
  assert.throws(() => resolveTrainConfig({ data: "d", out: "x", initWeights: "ema" }), /pass --init-from/);
  assert.doesNotThrow(() => resolveTrainConfig({ out: "x", resume: true, initWeights: "ema" }), "a resumed --init-from run keeps its recorded choice");
});

test("--init-weights is recorded for every --init-from run (default raw) and absent otherwise", () => {
  assert.equal(resolveTrainConfig({ data: "d", out: "x", initFrom: "c" }).initWeights, "raw");
  assert.equal(resolveTrainConfig({ data: "d", out: "x", initFrom: "c", initWeights: "ema" }).initWeights, "ema");
  assert.ok(!("initWeights" in resolveTrainConfig({ data: "d", out: "x" })), "a run without --init-from gains no option");
  assert.deepEqual(parseTrainArgs(["--init-from", "c", "--init-weights", "ema"]), { initFrom: "c", initWeights: "ema" });
  assert.throws(() => resolveTrainConfig({ data: "d", out: "x", initFrom: "c", initWeights: "best" as "ema" }));
});

test("the coupling is 0 during the AE warm-up, then ramps linearly to 1", () => {
  const c = resolveTrainConfig({ data: "d", out: "x", steps: 100, aeWarmupSteps: 10, aeRampSteps: 20 });
  assert.deepEqual([1, 10, 11, 20, 30, 31, 100].map((s) => couplingAt(c, s)), [0, 0, 0.05, 0.5, 1, 1, 1]);
  assert.equal(couplingAt(resolveTrainConfig({ data: "d", out: "x", config: 3, aeWarmup: false }), 1), 1);
});

test("CLI flags map to options; numbers are checked", () => {
  const c = parseTrainArgs(["--data", "rocstories", "--out", "o", "--preset", "small", "--config", "3", "--no-adaptive-t", "--steps", "50", "--lr", "3e-4", "--val-every", "5"]);
  assert.deepEqual(c, { data: "rocstories", out: "o", preset: "small", config: 3, adaptiveT: false, steps: 50, lr: 3e-4, valEvery: 5 });
  assert.throws(() => parseTrainArgs(["--steps", "many"]), /--steps needs a number/);
  assert.throws(() => parseTrainArgs(["--bogus"]), /bogus/);
});

test("adaptive timestep sampling draws more t where the loss is high", () => {
  const s = new TimestepSampler(1e-5, true, 4);
  // High loss in the last bin, low elsewhere.
  const t = Float32Array.from([0.1, 0.3, 0.6, 0.9]);
  s.observe(t, Float32Array.from([0.01, 0.01, 0.01, 1]));
  const draws = s.sample(new SeededRandom(1), 4000);
  const high = draws.filter((x) => x >= 0.75).length / draws.length;
  assert.ok(high > 0.55 && high < 0.7, `share of t in the high-loss bin: ${high}`); // 0.5·¼ + 0.5·(1/1.03) ≈ 0.61
  const uniform = new TimestepSampler(1e-5, false).sample(new SeededRandom(1), 4000);
  assert.ok(Math.abs(uniform.filter((x) => x >= 0.75).length / 4000 - 0.25) < 0.03);
});
