// The networks read exactly core's weight inventory: every forward, given tensors of the inventory's
// shapes, reads each weight of its network and no other name (a name the inventory lacks would
// throw "missing weight"; a shape it gets wrong would fail in the forward or give a wrong output
// shape). So the variables training creates from `weightShapes(cfg)`, the checkpoint keys and the
// names export builds graphs from are one list.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { type ModelConfig, type NetworkName, type PresetName, modelConfigFromPreset, networkOf, weightShapes } from "@ldtext/core";
import type { Weights } from "./layers.ts";
import { createNetworks } from "./networks.ts";
import { LatentDiffusionModel, initWeights } from "./model.ts";

/** Zero tensors of the inventory's shapes, as a record that notes every name a forward reads. */
function recordingWeights(cfg: ModelConfig): { weights: Weights; read: Set<string>; dispose(): void } {
  const shapes = weightShapes(cfg);
  const tensors = new Map<string, tf.Tensor>(); // made on first read: one network's weights at a time
  const read = new Set<string>();
  const weights = new Proxy({} as Weights, {
    get: (_, name) => {
      if (typeof name !== "string") return undefined;
      read.add(name);
      const shape = shapes.get(name);
      if (shape && !tensors.has(name)) tensors.set(name, tf.zeros(shape));
      return tensors.get(name);
    },
  });
  return { weights, read, dispose: () => tf.dispose([...tensors.values()]) };
}

// tiny and mini with both tasks and both Dif time conditionings; the shipped size `small` as a
// generate "input" and a summarize "blocks" model (the smallest and the largest inventory; `base`
// differs only in sizes and is too large for a unit test on 2 cores); and a condition encoder
// narrower than Dif (Dc ≠ D, so a transposed cross-attention shape would show).
const NARROW_COND = { condEnc: { dModel: 24, heads: 2, layers: 2, ffn: 40 } };
const variants: { preset: PresetName; task: ModelConfig["task"]; time: "input" | "blocks"; narrowCond?: boolean }[] = [];
for (const preset of ["tiny", "mini"] as const) for (const task of ["generate", "summarize"] as const) for (const time of ["input", "blocks"] as const) variants.push({ preset, task, time });
variants.push({ preset: "small", task: "generate", time: "input" }, { preset: "small", task: "summarize", time: "blocks" });
variants.push({ preset: "tiny", task: "summarize", time: "blocks", narrowCond: true });

for (const { preset, task, time, narrowCond } of variants) {
  test(`${preset} ${task}, Dif time conditioning "${time}"${narrowCond ? ", Dc < D" : ""}: each network's forward reads exactly its weights of core's inventory`, () => {
    const cfg = modelConfigFromPreset(preset, task, 300, { difTimeCond: time, ...(narrowCond ? NARROW_COND : {}) });
    const nets = createNetworks(cfg);
    const expected = (net: NetworkName) => [...weightShapes(cfg).keys()].filter((n) => networkOf(n) === net).sort();
    const [B, L, d, S] = [2, cfg.maxLen, cfg.latentDim, 5];
    const run = (net: NetworkName, forward: (W: Weights) => tf.Tensor[], shapes: number[][]) => {
      const r = recordingWeights(cfg);
      const outs = tf.tidy(() => forward(r.weights));
      assert.deepEqual(outs.map((o) => o.shape), shapes, `${net} output shapes`);
      tf.dispose(outs);
      r.dispose();
      assert.deepEqual([...r.read].sort(), expected(net), `${net} reads`);
    };
    const ids = (rows: number, cols: number) => tf.tensor2d(Int32Array.from({ length: rows * cols }, (_, i) => (i * 7) % cfg.vocabSize), [rows, cols], "int32");
    const xt = () => tf.randomNormal([B, L, d], 0, 1, "float32", 1) as tf.Tensor3D;
    run("enc", (W) => [nets.enc.forward(ids(B, L), W)], [[B, L, d]]);
    run("dec", (W) => [nets.dec.forward(xt(), W)], [[B, L, cfg.vocabSize]]);
    const t = () => tf.tensor1d([0.3, 0.8]);
    if (cfg.task === "summarize") {
      const Dc = cfg.condEnc.dModel;
      const cond = () => tf.randomNormal([B, S, Dc], 0, 1, "float32", 2) as tf.Tensor3D;
      const mask = () => tf.tensor2d([1, 1, 1, 1, 1, 1, 1, 0, 0, 0], [B, S]);
      run("dif", (W) => [nets.dif.forward({ xt: xt(), xsc: xt(), t: t(), cond: cond(), condMask: mask() }, W)], [[B, L, d]]);
      run("cond", (W) => [nets.condEnc!.forward(ids(B, S), mask(), W), nets.condEnc!.nullCondition(W)], [[B, S, Dc], [1, Dc]]);
    } else {
      run("dif", (W) => [nets.dif.forward({ xt: xt(), xsc: xt(), t: t() }, W)], [[B, L, d]]);
      assert.equal(nets.condEnc, undefined);
      assert.deepEqual(expected("cond"), []);
    }
  });
}

test("training's variables are core's inventory, in its order (the order fixes the initial values)", () => {
  for (const task of ["generate", "summarize"] as const) {
    const cfg = modelConfigFromPreset("tiny", task, 300, { difTimeCond: "blocks" });
    const inventory = [...weightShapes(cfg)];
    assert.deepEqual([...initWeights(cfg, 1)].map(([name, w]) => [name, w.shape]), inventory);
    const model = LatentDiffusionModel.create(cfg, 1);
    assert.deepEqual(model.names.map((n) => [n, model.vars.get(n)!.shape]), inventory);
    model.dispose();
  }
});
