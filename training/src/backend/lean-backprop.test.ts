// The lean backward pass gives bit-identical gradients to tfjs's own and needs less peak memory.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./index.ts";
import { installLeanBackprop, uninstallLeanBackprop } from "./lean-backprop.ts";

function deepNet(x: tf.Tensor, ws: tf.Variable[]): tf.Scalar {
  let h = x;
  for (const w of ws) h = tf.add(h, tf.tanh(tf.matMul(h as tf.Tensor2D, w as tf.Tensor2D)));
  return tf.mean(tf.square(h)) as tf.Scalar;
}

async function gradsAndPeak(ws: tf.Variable[], x: tf.Tensor): Promise<{ grads: Float32Array[]; peak: number; value: number }> {
  let grads: Float32Array[] = [];
  let value = 0;
  const info = await tf.profile(() => {
    const r = tf.variableGrads(() => deepNet(x, ws), ws);
    grads = ws.map((w) => Float32Array.from(r.grads[w.name].dataSync() as Float32Array));
    value = r.value.dataSync()[0];
    tf.dispose([r.value, ...Object.values(r.grads)]);
  });
  return { grads, peak: info.peakBytes, value };
}

describe("lean backprop", () => {
  before(async () => {
    await initBackend("wasm", { log: null });
  });
  after(() => {
    installLeanBackprop();
  });

  test("same gradients bit for bit, lower peak memory", async () => {
    const ws = Array.from({ length: 12 }, (_, i) => tf.variable(tf.randomNormal([64, 64], 0, 0.2, "float32", i + 1), true, `lean_w${i}`));
    const x = tf.randomNormal([256, 64], 0, 1, "float32", 77);
    uninstallLeanBackprop();
    const stock = await gradsAndPeak(ws, x);
    assert.ok(installLeanBackprop());
    const lean = await gradsAndPeak(ws, x);
    assert.equal(lean.value, stock.value);
    for (let i = 0; i < ws.length; i++) assert.deepEqual(lean.grads[i], stock.grads[i], `gradient of w${i}`);
    assert.ok(lean.peak < stock.peak * 0.9, `peak ${lean.peak} vs stock ${stock.peak}`);
    tf.dispose([x, ...ws]);
  });

  test("tf.grads with a caller-provided dy leaves dy alive; no tensors leak", async () => {
    const before = tf.memory().numTensors;
    const a = tf.tensor2d([[1, 2], [3, 4]]);
    const dy = tf.tensor2d([[1, 0], [0, 1]]);
    const [g] = tf.grads((v: tf.Tensor) => tf.mul(tf.exp(v), 2))([a], dy);
    assert.equal(dy.isDisposed, false);
    const want = [2 * Math.exp(1), 0, 0, 2 * Math.exp(4)];
    Array.from(g.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-4));
    tf.dispose([a, dy, g]);
    assert.equal(tf.memory().numTensors, before);
  });
});
