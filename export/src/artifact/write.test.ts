import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { writeArtifact, writeRandomArtifact, sha256 } from "./write.ts";
import { readArtifact } from "@ldtext/core";
import type { Manifest } from "@ldtext/core";
import { randomWeights } from "../networks/weights.ts";
import { placeholderVocabulary, tinyConfig } from "../testing.ts";

const tmp = (): string => mkdtempSync(join(tmpdir(), "ldtext-artifact-"));

describe("writeRandomArtifact", () => {
  test("writes every graph of a summarize model with checksummed files that ONNX Runtime loads", async () => {
    const cfg = tinyConfig("summarize", { vocabSize: 300 });
    const out = join(tmp(), "model");
    const { manifest } = await writeRandomArtifact({ config: cfg, vocabulary: placeholderVocabulary(300), outDir: out, seed: 1, quantize: "int8", sampling: { guidance: 1.5 } });
    const onDisk = await readArtifact(out); // core's schema and checksums
    assert.deepEqual(onDisk.sampling, { guidance: 1.5 }, "the served default guidance (export --guidance) reaches the manifest");
    assert.deepEqual(Object.keys(onDisk.graphs).sort(), ["cond_encoder", "decoder", "denoiser", "denoiser_int8", "encoder"]);
    assert.equal(onDisk.task, "summarize");
    assert.equal(onDisk.normalization.mean?.length, cfg.latentDim);
    for (const g of Object.values(manifest.graphs).filter((x) => x !== undefined)) {
      assert.equal(sha256(readFileSync(join(out, g.file))), g.sha256);
      if (g.externalData) assert.equal(sha256(readFileSync(join(out, g.externalData.file))), g.externalData.sha256);
      const s = await ort.InferenceSession.create(join(out, g.file), { graphOptimizationLevel: "all", logSeverityLevel: 3 });
      assert.deepEqual([...s.inputNames], g.inputs.map((i) => i.name));
      assert.deepEqual([...s.outputNames], g.outputs.map((i) => i.name));
    }
    assert.deepEqual(manifest.graphs.denoiser!.inputs.map((i) => i.name), ["x_t", "x_sc", "t", "cond", "cond_mask"]);
    assert.deepEqual(manifest.graphs.denoiser!.inputs[0].shape, ["B", "L", cfg.latentDim]);
    assert.equal(manifest.graphs.denoiser_int8!.dtype, "int8");
    // the folder holds exactly the manifest and the listed files
    const listed = Object.values(manifest.graphs).flatMap((g) => (g ? [g.file, ...(g.externalData ? [g.externalData.file] : []), ...(g.check ? [g.check.file] : [])] : []));
    assert.deepEqual(readdirSync(out).sort(), ["manifest.json", ...listed].sort());
  });

  test("graph selection: a generate model has no cond_encoder, and denoiser/decoder are required", async () => {
    const cfg = tinyConfig("generate", { vocabSize: 270 });
    const out = join(tmp(), "serve");
    const voc = placeholderVocabulary(270);
    await assert.rejects(writeRandomArtifact({ config: cfg, vocabulary: voc, outDir: out, seed: 2, graphs: ["denoiser", "decoder", "cond_encoder"] }), /cond_encoder does not belong/);
    await assert.rejects(writeRandomArtifact({ config: cfg, vocabulary: voc, outDir: out, seed: 2, graphs: ["encoder", "decoder"] }), /needs the denoiser/);
    assert.ok(!existsSync(out));
  });

  test("a model with ArDec: ar_decoder is written, listed with its I/O, and loads; without ArDec it cannot be asked for", async () => {
    const cfg = tinyConfig("generate", { vocabSize: 300, arDec: { dModel: 32, heads: 2, layers: 1, ffn: 64 } });
    const out = join(tmp(), "ard");
    const { manifest } = await writeRandomArtifact({ config: cfg, vocabulary: placeholderVocabulary(300), outDir: out, seed: 7, fp16: true });
    const onDisk = await readArtifact(out);
    assert.deepEqual(Object.keys(onDisk.graphs).sort(), ["ar_decoder", "decoder", "denoiser", "encoder"]);
    assert.deepEqual(onDisk.config.arDec, cfg.arDec);
    const g = manifest.graphs.ar_decoder!;
    assert.equal(g.file, "ar_decoder.onnx");
    assert.equal(g.dtype, "fp16");
    assert.deepEqual(g.inputs, [{ name: "latents", dtype: "float32", shape: ["B", "L", cfg.latentDim] }, { name: "tokens", dtype: "int64", shape: ["B", "T"] }]);
    assert.deepEqual(g.outputs, [{ name: "next_logits", dtype: "float32", shape: ["B", 300] }, { name: "next_ids", dtype: "int64", shape: ["B"] }]);
    const s = await ort.InferenceSession.create(join(out, g.file), { graphOptimizationLevel: "all", logSeverityLevel: 3 });
    const r = await s.run({ latents: new ort.Tensor("float32", new Float32Array(2 * 16 * cfg.latentDim).fill(0.1), [2, 16, cfg.latentDim]), tokens: new ort.Tensor("int64", BigInt64Array.from([1n, 5n, 1n, 7n]), [2, 2]) });
    assert.deepEqual(r.next_ids.dims, [2]);
    // The other graphs are those of the model without ArDec.
    const plain = tinyConfig("generate", { vocabSize: 300 });
    await assert.rejects(writeRandomArtifact({ config: plain, vocabulary: placeholderVocabulary(300), outDir: join(tmp(), "no"), seed: 7, graphs: ["denoiser", "decoder", "ar_decoder"] }), /ar_decoder needs a model with ArDec/);
    // A manifest listing ar_decoder for a config without arDec is invalid.
    const { parseManifest } = await import("@ldtext/core");
    const { arDec: _arDec, ...noArDec } = onDisk.config;
    assert.throws(() => parseManifest({ ...onDisk, config: noArDec }), /graphs\.ar_decoder: graph "ar_decoder" needs config\.arDec/);
  });

  test("fp16 storage roughly halves the weight files", async () => {
    const cfg = tinyConfig("generate", { vocabSize: 300 });
    const voc = placeholderVocabulary(300);
    const a = (await writeRandomArtifact({ config: cfg, vocabulary: voc, outDir: join(tmp(), "f32"), seed: 3 })).manifest;
    const b = (await writeRandomArtifact({ config: cfg, vocabulary: voc, outDir: join(tmp(), "f16"), seed: 3, fp16: true })).manifest;
    const size = (m: Manifest): number => Object.values(m.graphs).reduce((s, g) => s + (g ? g.bytes + (g.externalData?.bytes ?? 0) : 0), 0);
    assert.equal(b.graphs.denoiser!.dtype, "fp16");
    assert.ok(size(b) < 0.6 * size(a), `fp16 ${size(b)} vs fp32 ${size(a)}`);
  });
});

describe("writeArtifact atomicity", () => {
  test("a failing export leaves neither the target nor a partial folder, and keeps the previous artifact", async () => {
    const parent = tmp();
    const out = join(parent, "model");
    const cfg = tinyConfig("generate", { vocabSize: 300 });
    const voc = placeholderVocabulary(300);
    const first = (await writeRandomArtifact({ config: cfg, vocabulary: voc, outDir: out, seed: 4 })).manifest;
    const weights = randomWeights(cfg, 5);
    // a bad norm makes the encoder (written after nothing else) fail midway through the graphs
    const badNorm = { kind: "data" as const, mean: new Array(cfg.latentDim).fill(2), sq: new Array(cfg.latentDim).fill(1) };
    const training = { command: "test", seconds: 0, steps: 0, finalLosses: {} };
    await assert.rejects(
      writeArtifact({ config: cfg, weights, vocabulary: voc, norm: badNorm, outDir: out, graphs: ["denoiser", "decoder", "encoder"], training, replace: true }),
      /non-positive variance/,
    );
    assert.deepEqual(readdirSync(parent), ["model"]);
    const kept = await readArtifact(out);
    assert.equal(kept.createdAt, first.createdAt);
    assert.equal(sha256(readFileSync(join(out, "denoiser.onnx"))), first.graphs.denoiser!.sha256);
    // an existing artifact is replaced only when asked
    await assert.rejects(writeRandomArtifact({ config: cfg, vocabulary: voc, outDir: out, seed: 5 }), /already exists/);
    const second = (await writeRandomArtifact({ config: cfg, vocabulary: voc, outDir: out, seed: 5, replace: true })).manifest;
    assert.notEqual(second.graphs.denoiser!.sha256, first.graphs.denoiser!.sha256);
    assert.deepEqual(readdirSync(parent), ["model"]);
  });

  test("rejects weights that do not match the config and a vocabulary of the wrong size", async () => {
    const cfg = tinyConfig("generate", { vocabSize: 300 });
    const weights = randomWeights(cfg, 6);
    weights.delete("dif.blocks.1.mlp.w2");
    const training = { command: "test", seconds: 0, steps: 0, finalLosses: {} };
    const base = { config: cfg, vocabulary: placeholderVocabulary(300), norm: { kind: "sphere" as const }, outDir: join(tmp(), "x"), training };
    await assert.rejects(writeArtifact({ ...base, weights }), /missing dif\.blocks\.1\.mlp\.w2/);
    await assert.rejects(writeArtifact({ ...base, weights: randomWeights(cfg, 6), vocabulary: placeholderVocabulary(290) }), /vocabSize 300/);
  });
});
