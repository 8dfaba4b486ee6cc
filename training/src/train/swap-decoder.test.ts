import { test } from "node:test";
import assert from "node:assert/strict";
import { modelConfigFromPreset, type FloatWeights, type LoadedCheckpoint } from "@ldtext/core";
import { initWeights } from "../model/model.ts";
import { swapDecoder } from "./swap-decoder.ts";

const cfg = modelConfigFromPreset("tiny", "summarize", 300);
const vocabulary = { kind: "test" } as unknown as LoadedCheckpoint["vocabulary"];

/** `from` with the weights of the named networks replaced by those of seed `seed` (a run that trained them). */
function trained(from: FloatWeights, seed: number, nets: string[]): FloatWeights {
  const other = initWeights(cfg, seed);
  return new Map([...from].map(([n, w]) => [n, nets.some((p) => n.startsWith(`${p}.`)) ? other.get(n)! : w]));
}

function ckpt(dir: string, weights: FloatWeights, ema: FloatWeights, sec: number): LoadedCheckpoint {
  return {
    dir, modelConfig: cfg, vocabulary, trainConfig: {}, step: 10, weights, ema, adamM: weights, adamV: weights,
    norm: { kind: "data", mean: new Float32Array(cfg.latentDim).fill(0.1), sq: new Float32Array(cfg.latentDim).fill(1) },
    losses: { train: { trainSec: sec, trainFlops: sec * 10 } },
  };
}

test("swapDecoder: the base's denoiser with the donor's (EMA) decoder, compute counted once, optimizer state dropped", () => {
  const init = initWeights(cfg, 1);
  const base = ckpt("base", trained(init, 2, ["dif", "cond"]), trained(init, 3, ["dif", "cond"]), 150);
  const donor = ckpt("donor", trained(init, 4, ["dec"]), trained(init, 5, ["dec"]), 130);
  (donor.norm.mean as Float32Array)[3] = 0.15;
  const { checkpoint, report } = swapDecoder(base, donor, { sec: 100, flops: 1000 });
  for (const [name, w] of checkpoint.weights) {
    const expected = name.startsWith("dec.") ? donor.weights.get(name)! : base.weights.get(name)!;
    assert.equal(w, expected, name);
    assert.equal(checkpoint.ema!.get(name)!, (name.startsWith("dec.") ? donor : base).ema!.get(name)!, `EMA ${name}`);
  }
  assert.ok(report.decoderWeights > 5 && report.encoderWeights > 5);
  assert.ok(Math.abs(report.normDrift - 0.05) < 1e-6);
  assert.deepEqual(checkpoint.losses!.train, { trainSec: 180, trainFlops: 1800 });
  assert.equal(checkpoint.adamM, undefined);
  assert.equal(checkpoint.adamV, undefined);
  assert.equal((checkpoint.extra!.decoderFrom as { dir: string }).dir, "donor");
});

test("swapDecoder refuses a decoder trained on another encoder, or another model shape", () => {
  const init = initWeights(cfg, 1);
  const base = ckpt("base", init, init, 1);
  const moved = ckpt("joint", trained(init, 6, ["enc", "dec"]), trained(init, 6, ["enc", "dec"]), 1);
  assert.throws(() => swapDecoder(base, moved, { sec: 0, flops: 0 }), /enc\..* differs .* another latent space/);
  // The raw encoder is the same but the EMA (what export ships) is not: refused as well.
  const emaOnly = ckpt("ema", init, trained(init, 7, ["enc"]), 1);
  assert.throws(() => swapDecoder(base, emaOnly, { sec: 0, flops: 0 }), /another latent space/);
  const other = { ...ckpt("other", init, init, 1), modelConfig: modelConfigFromPreset("tiny", "generate", 300) };
  assert.throws(() => swapDecoder(base, other, { sec: 0, flops: 0 }), /model config/);
});
