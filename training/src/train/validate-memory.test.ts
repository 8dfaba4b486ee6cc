// Validation and the fixed-SNR probes must free every tensor they make: on the wasm backend the heap
// only grows, so a leak per validation (the condition encoder's intermediates, 1.7 GB at batch 64
// on the small preset) ended long summarize runs in `Aborted()` after a few validations, or at the
// first step with --val-examples 256.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { modelConfigFromPreset } from "@ldtext/core";
import { initBackend } from "../backend/index.ts";
import { LatentDiffusionModel } from "../model/model.ts";
import { JointObjective } from "./objective.ts";
import type { TokenizedSplit } from "./data.ts";
import { probeFixedSnr } from "./snr-probe.ts";
import { Trainer, fmtCondGain } from "./trainer.ts";

const L = 16;
const S = 32;

function summarizeSplit(count: number): TokenizedSplit {
  const tokens = new Int32Array(count * L).map((_, i) => (i % L < 10 ? 3 + ((i * 37) % 250) : 0));
  const mask = new Float32Array(count * S).map((_, i) => (i % S < 24 ? 1 : 0));
  const condTokens = new Int32Array(count * S).map((_, i) => (mask[i] ? 3 + ((i * 11) % 250) : 0));
  return { count, length: L, tokens, cond: { length: S, tokens: condTokens, mask }, fractionTruncated: 0 };
}

before(async () => {
  await initBackend("wasm", { log: null });
});

test("validation and the SNR probes of a summarize model (own documents and null condition) leave no tensor behind", () => {
  // "layer" normalization needs no running statistics, so the probes can run on a fresh model.
  const cfg = { ...modelConfigFromPreset("tiny", "summarize", 300), norm: "layer" as const };
  const model = LatentDiffusionModel.create(cfg, 7);
  const objective = new JointObjective(model);
  const split = summarizeSplit(6);
  const trainer = new Trainer({ task: "summarize", preset: "tiny", data: "unused", out: "unused", batch: 4 });
  // A first call makes the networks' lazily built constants (kept for the model's lifetime).
  probeFixedSnr(model, objective, model.norm, split, { batch: 4, seed: 1 });
  const n = tf.memory().numTensors;
  const probes = probeFixedSnr(model, objective, model.norm, split, { batch: 4, seed: 1 });
  assert.equal(tf.memory().numTensors, n, "the probes freed what they made");
  assert.ok(probes.length > 0 && probes.every((p) => Number.isFinite(p.dif) && p.acc >= 0 && p.acc <= 1));
  for (let i = 0; i < 2; i++) {
    const val = trainer.validate(model, objective, split, trainer.cfg, i + 1);
    assert.ok(Number.isFinite(val.dif) && Number.isFinite(val.ce));
    assert.equal(tf.memory().numTensors, n, `validation ${i + 1} freed what it made`);
    // A summarizer's validation also probes with the null condition: same SNRs, other numbers.
    assert.deepEqual(val.snrNull?.map((p) => p.snr), val.snr?.map((p) => p.snr));
    assert.ok(val.snrNull!.some((p, k) => p.dif !== val.snr![k].dif), "the documents change the denoiser's output");
  }
  const nullProbe = probeFixedSnr(model, objective, model.norm, split, { batch: 4, seed: trainer.cfg.seed + 3, nullCondition: true });
  assert.deepEqual(nullProbe, trainer.validate(model, objective, split, trainer.cfg, 3).snrNull, "validation's snrNull is the null-condition probe");
  assert.match(fmtCondGain([{ ...probes[0], acc: 0.5 }], [{ ...probes[0], acc: 0.48 }]), /^2 \+2\.0 points$/);
  model.dispose();
});
