import { test } from "node:test";
import assert from "node:assert/strict";
import { jsReference, tfjsReference } from "./reference.ts";
import { gaussian, randomWeights } from "../networks/weights.ts";
import { asF32, maxAbsDiff, randomTensor, tinyConfig } from "../testing.ts";

// The two references must agree before either can vouch for the ONNX graphs. TF.js rounds the time
// embedding's angles (up to 1000 rad) in float32, hence the looser denoiser tolerance.
for (const [task, difTimeCond] of [["generate", "input"], ["summarize", "input"], ["generate", "blocks"]] as const) {
  test(`TF.js buildNetworks agrees with the float64 reference (${task}, dif time conditioning "${difTimeCond}")`, async () => {
    const cfg = tinyConfig(task, { difTimeCond });
    const w = randomWeights(cfg, 21);
    const rnd = gaussian(22);
    const mean = Array.from({ length: cfg.latentDim }, () => 0.2 * rnd());
    const norm = { kind: "data" as const, mean, sq: mean.map((m) => m * m + 0.8) };
    // @ldtext/training is a dependency and exports buildNetworks: an import failure is a failure
    // here, not a silent skip (it used to skip, and `--reference auto` then fell back unnoticed).
    const r = await tfjsReference(cfg, w, norm);
    assert.ok(r.ok, r.ok ? "" : r.reason);
    const tf = r.forward;
    const js = jsReference(cfg, w, norm);
    const [B, L, S] = [2, 12, 9];
    const xt = asF32(randomTensor([B, L, cfg.latentDim], rnd));
    const xsc = asF32(randomTensor([B, L, cfg.latentDim], rnd, 0.5));
    const tt = Float32Array.from([0.21, 0.87]);
    const cond = cfg.condEnc
      ? { cond: asF32(randomTensor([B, S, cfg.condEnc.dModel], rnd)), mask: { shape: [B, S], data: Float64Array.from({ length: B * S }, (_, i) => (i % S < 9 - 4 * Math.floor(i / S) ? 1 : 0)) } }
      : undefined;
    const ids = Array.from({ length: B * Math.max(L, S) }, (_, i) => (i * 37 + 5) % cfg.vocabSize);
    assert.ok(maxAbsDiff(await tf.denoise(xt, xsc, tt, cond), await js.denoise(xt, xsc, tt, cond)) <= 1e-4);
    assert.ok(maxAbsDiff(await tf.decode(xt), await js.decode(xt)) <= 1e-5);
    assert.ok(maxAbsDiff(await tf.encode(ids.slice(0, B * L), B, L), await js.encode(ids.slice(0, B * L), B, L)) <= 1e-5);
    if (cond) assert.ok(maxAbsDiff(await tf.encodeCondition(ids.slice(0, B * S), cond.mask), await js.encodeCondition(ids.slice(0, B * S), cond.mask)) <= 1e-5);
    tf.dispose?.();
  });
}

test("an unavailable TF.js reference says why (the reason the verify report then carries)", async () => {
  const cfg = tinyConfig("generate");
  const w = randomWeights(cfg, 21);
  const norm = { kind: "data" as const, mean: new Array<number>(cfg.latentDim).fill(0), sq: new Array<number>(cfg.latentDim).fill(1) };
  const missing = "@ldtext/no-such-package";
  const r = await tfjsReference(cfg, w, norm, { name: missing, load: () => import(missing) });
  assert.equal(r.ok, false);
  assert.match(r.ok ? "" : r.reason, /@ldtext\/no-such-package could not be imported/);
});
