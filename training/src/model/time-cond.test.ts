// ModelConfig.difTimeCond "blocks": the per-block time projections start at zero, so a "blocks"
// denoiser that takes an "input" denoiser's weights (the --init-from path) is at first the same
// function; once the projections move, t reaches every block.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { modelConfigFromPreset } from "@ldtext/core";
import { initWeights } from "./model.ts";
import { createNetworks } from "./networks.ts";

test('a "blocks" denoiser initialized from an "input" one computes the same x̂0 until its time projections move', () => {
  const input = modelConfigFromPreset("tiny", "generate", 300);
  const blocks = { ...input, difTimeCond: "blocks" as const };
  const wIn = initWeights(input, 3);
  const wBl = initWeights(blocks, 3);
  assert.ok(wBl.has("dif.blocks.0.time.w") && !wIn.has("dif.blocks.0.time.w"));
  assert.ok(wBl.get("dif.blocks.0.time.w")!.data.every((x) => x === 0), "per-block time projections must start at zero");
  // The "input" weights carried over (as mergeInit does), the new ones as initialized.
  const merged = new Map(wBl);
  for (const [k, v] of wIn) merged.set(k, v);
  const toTensors = (m: typeof merged) => Object.fromEntries([...m].map(([k, v]) => [k, tf.tensor(v.data, v.shape)]));
  const [B, L, d] = [2, input.maxLen, input.latentDim];
  const xt = tf.randomNormal([B, L, d], 0, 1, "float32", 1) as tf.Tensor3D;
  const xsc = tf.zerosLike(xt);
  const t = tf.tensor1d([0.2, 0.7]);
  const a = createNetworks(input).dif.forward({ xt, xsc, t }, toTensors(wIn)).dataSync();
  const b = createNetworks(blocks).dif.forward({ xt, xsc, t }, toTensors(merged)).dataSync();
  assert.deepEqual(Array.from(b), Array.from(a));
  // Non-zero projections change the output, and differently for different t (t reaches the blocks).
  const moved = new Map(merged);
  moved.set("dif.blocks.0.time.w", { shape: [32, 32], data: Float32Array.from({ length: 32 * 32 }, (_, i) => Math.sin(i) * 0.3) });
  const c = createNetworks(blocks).dif.forward({ xt, xsc, t }, toTensors(moved)).dataSync();
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(c[i] - a[i]));
  assert.ok(diff > 1e-3, `moving the time projection changed nothing (${diff})`);
});
