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

  test("a model with ArDec: the KV-cached pair ar_memory + ar_step is written by default, listed with its I/O, and loads; ar_decoder only when named; without ArDec none can be asked for", async () => {
    const cfg = tinyConfig("generate", { vocabSize: 300, arDec: { dModel: 32, heads: 2, layers: 1, ffn: 64 } });
    const out = join(tmp(), "ard");
    const { manifest } = await writeRandomArtifact({ config: cfg, vocabulary: placeholderVocabulary(300), outDir: out, seed: 7, fp16: true });
    const onDisk = await readArtifact(out);
    assert.deepEqual(Object.keys(onDisk.graphs).sort(), ["ar_memory", "ar_step", "decoder", "denoiser", "encoder"]);
    assert.deepEqual(onDisk.config.arDec, cfg.arDec);
    const mem = manifest.graphs.ar_memory!;
    const step = manifest.graphs.ar_step!;
    assert.deepEqual([mem.file, step.file, mem.dtype, step.dtype], ["ar_memory.onnx", "ar_step.onnx", "fp16", "fp16"]);
    const kv = (name: string, len: string) => ({ name, dtype: "float32", shape: ["B", 2, len, 16] });
    assert.deepEqual(mem.inputs, [{ name: "latents", dtype: "float32", shape: ["B", "L", cfg.latentDim] }]);
    assert.deepEqual(mem.outputs, [{ name: "memory", dtype: "float32", shape: ["B", "L", 32] }, kv("cross_k_0", "L"), kv("cross_v_0", "L")]);
    assert.deepEqual(step.inputs, [{ name: "token", dtype: "int64", shape: ["B", 1] }, { name: "memory", dtype: "float32", shape: ["B", "L", 32] }, kv("cross_k_0", "L"), kv("cross_v_0", "L"), kv("past_k_0", "P"), kv("past_v_0", "P")]);
    assert.deepEqual(step.outputs, [{ name: "next_logits", dtype: "float32", shape: ["B", 300] }, { name: "next_ids", dtype: "int64", shape: ["B"] }, kv("present_k_0", "P+1"), kv("present_v_0", "P+1")]);
    const opts = { graphOptimizationLevel: "all", logSeverityLevel: 3 } as const;
    const m = await ort.InferenceSession.create(join(out, mem.file), opts);
    const s = await ort.InferenceSession.create(join(out, step.file), opts);
    const cache = await m.run({ latents: new ort.Tensor("float32", new Float32Array(2 * 16 * cfg.latentDim).fill(0.1), [2, 16, cfg.latentDim]) });
    const empty = new ort.Tensor("float32", new Float32Array(0), [2, 2, 0, 16]);
    const r = await s.run({ ...cache, token: new ort.Tensor("int64", BigInt64Array.from([1n, 1n]), [2, 1]), past_k_0: empty, past_v_0: empty });
    assert.deepEqual([r.next_ids.dims, r.present_k_0.dims], [[2], [2, 2, 1, 16]]);
    await Promise.all([m.release(), s.release()]);
    // The uncached graph only when named; the pair only together.
    const named = await writeRandomArtifact({ config: cfg, vocabulary: placeholderVocabulary(300), outDir: join(tmp(), "unc"), seed: 7, graphs: ["denoiser", "decoder", "ar_decoder"] });
    assert.deepEqual(Object.keys(named.manifest.graphs).sort(), ["ar_decoder", "decoder", "denoiser"]);
    assert.deepEqual(named.manifest.graphs.ar_decoder!.inputs, [{ name: "latents", dtype: "float32", shape: ["B", "L", cfg.latentDim] }, { name: "tokens", dtype: "int64", shape: ["B", "T"] }]);
    await assert.rejects(writeRandomArtifact({ config: cfg, vocabulary: placeholderVocabulary(300), outDir: join(tmp(), "half"), seed: 7, graphs: ["denoiser", "decoder", "ar_step"] }), /ar_memory and ar_step are written together/);
    // The other graphs are those of the model without ArDec.
    const plain = tinyConfig("generate", { vocabSize: 300 });
    for (const g of ["ar_decoder", "ar_memory"] as const) {
      await assert.rejects(writeRandomArtifact({ config: plain, vocabulary: placeholderVocabulary(300), outDir: join(tmp(), "no"), seed: 7, graphs: ["denoiser", "decoder", g] }), new RegExp(`${g} needs a model with ArDec`));
    }
    // A manifest listing ArDec graphs for a config without arDec is invalid.
    const { parseManifest } = await import("@ldtext/core");
    const { arDec: _arDec, ...noArDec } = onDisk.config;
    assert.throws(() => parseManifest({ ...onDisk, config: noArDec }), /graphs\.ar_memory: graph "ar_memory" needs config\.arDec/);
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
