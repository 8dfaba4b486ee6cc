// The profile's bookkeeping against networks whose answer is known in closed form: one-hot
// encodings (latent width = vocabulary, so Dec is the identity read by argmax) and the denoiser
// x̂0 = x_t / α_t. Its error is (σ_t/α_t)·ε, so accuracy must be ~100 % at low noise and near chance
// (1/V) at t = 0.95; pads are not counted; a conditional model is refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { makeSchedule, modelConfigFromPreset } from "@ldtext/core";
import type { InferenceNetworks } from "@ldtext/training";
import { denoiserProfile } from "./denoiser-profile.ts";

const V = 16;
const L = 8;

function closedFormNets(task: "generate" | "summarize" = "generate"): InferenceNetworks {
  const modelConfig = { ...modelConfigFromPreset("tiny", task, V, { maxLen: L }), latentDim: V };
  const schedule = makeSchedule(modelConfig.schedule);
  const unused = () => {
    throw new Error("not used by the profile");
  };
  return {
    modelConfig,
    // Pads encode to the zero vector, so Dec reads them as noise: scored, they would cost accuracy.
    encode: (tokens) => tf.tidy(() => tf.mul(tf.mul(tf.oneHot(tokens, V), 3), tf.expandDims(tf.cast(tf.notEqual(tokens, 0), "float32"), -1)) as tf.Tensor3D),
    denoise: (xt, _xsc, t) => tf.tidy(() => tf.div(xt, tf.reshape(tf.tensor1d(Array.from(t.dataSync(), (v) => schedule.alpha(v))), [-1, 1, 1])) as tf.Tensor3D),
    decode: (latents) => tf.clone(latents),
    encodeCondition: unused,
    nullCondition: unused,
    arDecode: unused,
    dispose: () => {},
  };
}

test("accuracy is ~1 at low noise, near chance at high noise; pads are excluded; DDIM steps scale with t", async () => {
  await tf.setBackend("cpu");
  const rows = 6;
  const tokens = new Int32Array(rows * L);
  for (let i = 0; i < tokens.length; i++) tokens[i] = i % L >= L - 2 ? 0 : 1 + ((i * 7) % (V - 1));
  const profile = denoiserProfile(closedFormNets(), tokens, { ts: [0.02, 0.95], seed: 3 });
  assert.equal(profile.length, 2);
  const [low, high] = profile;
  assert.ok(low.snr > 100 * high.snr);
  assert.ok(low.oneStepAccuracy > 0.95, `low-noise accuracy ${low.oneStepAccuracy}`);
  assert.ok(low.ddimAccuracy > 0.95, `low-noise DDIM accuracy ${low.ddimAccuracy}`);
  assert.ok(high.oneStepAccuracy < 0.35, `high-noise accuracy ${high.oneStepAccuracy} (chance ${1 / V})`);
  assert.deepEqual(profile.map((r) => r.ddimSteps), [1, 48]);
  assert.equal(low.firstIds.length, L);
  // A pad-only row decodes to noise: the accuracy stays ~1 only because pads are not scored.
  const withPadRow = new Int32Array(tokens.length + L);
  withPadRow.set(tokens);
  const again = denoiserProfile(closedFormNets(), withPadRow, { ts: [0.02], seed: 3 });
  assert.ok(again[0].oneStepAccuracy > 0.95);
});

test("bad input is refused with a message", () => {
  assert.throws(() => denoiserProfile(closedFormNets(), new Int32Array(L + 1), { ts: [0.5] }), /whole rows/);
  assert.throws(() => denoiserProfile(closedFormNets(), new Int32Array(L), { ts: [0.005] }), /probe t/);
  assert.throws(() => denoiserProfile(closedFormNets("summarize"), new Int32Array(L), { ts: [0.5] }), /unconditional/);
});
