import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { writeArtifact, writeRandomArtifact, sha256 } from "./write.ts";
import type { ArtifactManifest } from "./manifest.ts";
import { randomWeights } from "../networks/weights.ts";
import { placeholderVocabulary, tinyConfig } from "../testing.ts";

const tmp = (): string => mkdtempSync(join(tmpdir(), "ldtext-artifact-"));

describe("writeRandomArtifact", () => {
  test("writes every graph of a summarize model with checksummed files that ONNX Runtime loads", async () => {
    const cfg = tinyConfig("summarize", { vocabSize: 300 });
    const out = join(tmp(), "model");
    const { manifest } = writeRandomArtifact({ config: cfg, vocabulary: placeholderVocabulary(300), outDir: out, seed: 1, quantize: "int8" });
    const onDisk = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as ArtifactManifest;
    assert.deepEqual(Object.keys(onDisk.graphs).sort(), ["cond_encoder", "decoder", "denoiser", "denoiser_int8", "encoder"]);
    assert.equal(onDisk.task, "summarize");
    assert.equal(onDisk.normalization.mean?.length, cfg.latentDim);
    for (const g of Object.values(manifest.graphs)) {
      assert.equal(sha256(readFileSync(join(out, g.file))), g.sha256);
      if (g.data) assert.equal(sha256(readFileSync(join(out, g.data.file))), g.data.sha256);
      const s = await ort.InferenceSession.create(join(out, g.file), { graphOptimizationLevel: "all", logSeverityLevel: 3 });
      assert.deepEqual([...s.inputNames], g.inputs.map((i) => i.name));
      assert.deepEqual([...s.outputNames], g.outputs.map((i) => i.name));
    }
    assert.deepEqual(manifest.graphs.denoiser.inputs.map((i) => i.name), ["x_t", "x_sc", "t", "cond", "cond_mask"]);
    assert.deepEqual(manifest.graphs.denoiser.inputs[0].shape, ["B", "L", cfg.latentDim]);
    // the folder holds exactly the manifest and the listed files
    const listed = Object.values(manifest.graphs).flatMap((g) => [g.file, ...(g.data ? [g.data.file] : [])]);
    assert.deepEqual(readdirSync(out).sort(), ["manifest.json", ...listed].sort());
  });

  test("--graphs leaves the encoder out of a serving artifact; generate has no cond_encoder", () => {
    const cfg = tinyConfig("generate", { vocabSize: 270 });
    const out = join(tmp(), "serve");
    const { manifest } = writeRandomArtifact({ config: cfg, vocabulary: placeholderVocabulary(270), outDir: out, seed: 2, graphs: ["denoiser", "decoder"] });
    assert.deepEqual(Object.keys(manifest.graphs).sort(), ["decoder", "denoiser"]);
    assert.ok(!existsSync(join(out, "encoder.onnx")));
    assert.throws(() => writeRandomArtifact({ config: cfg, vocabulary: placeholderVocabulary(270), outDir: out, seed: 2, graphs: ["denoiser", "decoder", "cond_encoder"] }), /cond_encoder does not belong/);
  });

  test("fp16 storage roughly halves the weight files", () => {
    const cfg = tinyConfig("generate", { vocabSize: 300 });
    const voc = placeholderVocabulary(300);
    const a = writeRandomArtifact({ config: cfg, vocabulary: voc, outDir: join(tmp(), "f32"), seed: 3 }).manifest;
    const b = writeRandomArtifact({ config: cfg, vocabulary: voc, outDir: join(tmp(), "f16"), seed: 3, fp16: true }).manifest;
    const size = (m: ArtifactManifest): number => Object.values(m.graphs).reduce((s, g) => s + g.bytes + (g.data?.bytes ?? 0), 0);
    assert.equal(b.weightStorage, "fp16");
    assert.ok(size(b) < 0.6 * size(a), `fp16 ${size(b)} vs fp32 ${size(a)}`);
  });
});

describe("writeArtifact atomicity", () => {
  test("a failing export leaves neither the target nor a partial folder, and keeps the previous artifact", () => {
    const parent = tmp();
    const out = join(parent, "model");
    const cfg = tinyConfig("generate", { vocabSize: 300 });
    const voc = placeholderVocabulary(300);
    const first = writeRandomArtifact({ config: cfg, vocabulary: voc, outDir: out, seed: 4 }).manifest;
    const weights = randomWeights(cfg, 5);
    // a bad norm makes the encoder (written after nothing else) fail midway through the graphs
    const badNorm = { kind: "data" as const, mean: new Array(cfg.latentDim).fill(2), sq: new Array(cfg.latentDim).fill(1) };
    assert.throws(
      () => writeArtifact({ config: cfg, weights, vocabulary: voc, norm: badNorm, outDir: out, graphs: ["denoiser", "decoder", "encoder"] }),
      /non-positive variance/,
    );
    assert.deepEqual(readdirSync(parent), ["model"]);
    const kept = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as ArtifactManifest;
    assert.equal(kept.createdAt, first.createdAt);
    assert.equal(sha256(readFileSync(join(out, "denoiser.onnx"))), first.graphs.denoiser.sha256);
  });

  test("rejects weights that do not match the config and a vocabulary of the wrong size", () => {
    const cfg = tinyConfig("generate", { vocabSize: 300 });
    const weights = randomWeights(cfg, 6);
    weights.delete("dif.blocks.1.mlp.w2");
    const base = { config: cfg, vocabulary: placeholderVocabulary(300), norm: { kind: "sphere" as const }, outDir: join(tmp(), "x") };
    assert.throws(() => writeArtifact({ ...base, weights }), /missing dif\.blocks\.1\.mlp\.w2/);
    assert.throws(() => writeArtifact({ ...base, weights: randomWeights(cfg, 6), vocabulary: placeholderVocabulary(290) }), /vocabSize 300/);
  });
});
