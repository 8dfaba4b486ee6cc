// Latent clamping (core's OrtModel.clamp), on random tiny artifacts: one step of a clamped sample
// uses Enc(argmax Dec(x̂0)) in place of x̂0 (checked against the graphs run by hand), clamping
// changes a path only from its threshold on, and an artifact without an encoder says why.
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { coreMath, readArtifact, type StepBatch } from "@ldtext/core";
import { openArtifactModel } from "@ldtext/core/onnx";
import { writeRandomArtifact } from "../artifact/write.ts";
import { placeholderVocabulary, tinyConfig } from "../testing.ts";
import { sampleArtifact } from "./sample.ts";

const tmp = (): string => mkdtempSync(join(tmpdir(), "ldtext-clamp-"));

describe("latent clamping", () => {
  let gen = "";
  let sum = "";
  let noEncoder = "";
  before(async () => {
    gen = join(tmp(), "gen");
    sum = join(tmp(), "sum");
    noEncoder = join(tmp(), "gen-no-encoder");
    await writeRandomArtifact({ config: tinyConfig("generate", { vocabSize: 300 }), vocabulary: placeholderVocabulary(300), outDir: gen, seed: 3 });
    await writeRandomArtifact({ config: tinyConfig("summarize", { vocabSize: 300 }), vocabulary: placeholderVocabulary(300), outDir: sum, seed: 4 });
    await writeRandomArtifact({ config: tinyConfig("generate", { vocabSize: 300 }), vocabulary: placeholderVocabulary(300), outDir: noEncoder, seed: 3, graphs: ["denoiser", "decoder"] });
  });

  /** The encoder graph's latents of token rows (what clamping must have put in place of x̂0). */
  async function encode(dir: string, ids: Int32Array[]): Promise<Float32Array> {
    const m = await readArtifact(dir);
    const s = await ort.InferenceSession.create(join(dir, m.graphs.encoder!.file));
    try {
      const L = m.config.maxLen;
      const tokens = new BigInt64Array(ids.length * L);
      ids.forEach((row, r) => row.forEach((id, k) => (tokens[r * L + k] = BigInt(id))));
      const out = await s.run({ tokens: new ort.Tensor("int64", tokens, [ids.length, L]) }, ["x0"]);
      return out.x0.data as Float32Array;
    } finally {
      await s.release();
    }
  }

  const maxAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

  /** Dec's argmax ids of latent rows. */
  async function decode(dir: string, latents: Float32Array, rows: number): Promise<BigInt64Array> {
    const m = await readArtifact(dir);
    const s = await ort.InferenceSession.create(join(dir, m.graphs.decoder!.file));
    try {
      const out = await s.run({ latents: new ort.Tensor("float32", latents, [rows, m.config.maxLen, m.config.latentDim]) }, ["ids"]);
      return out.ids.data as BigInt64Array;
    } finally {
      await s.release();
    }
  }

  test("one step: a clamped sample steps with Enc(argmax Dec(x̂0)) in place of x̂0, an unclamped one with x̂0", async () => {
    const m = await readArtifact(gen);
    const math = coreMath(m.config.schedule);
    const model = await openArtifactModel(gen, m, math, { threads: 1, encoder: true });
    try {
      const { maxLen: L, latentDim: d } = m.config;
      const ld = L * d;
      const rows = 2;
      const batch = (clamp: number): StepBatch => ({
        rows,
        x: Float32Array.from({ length: rows * ld }, (_, i) => Math.sin(i)),
        xsc: new Float32Array(rows * ld),
        t: new Float32Array([0.4, 0.4]),
        // Sample 0 asks for clamping below 0.5 (its t is 0.4), sample 1 for none.
        samples: [0, 1].map((r) => ({ row: r, uncondRow: -1, guidance: 0, clamp: r === 0 ? clamp : 0, sampler: "ddim" as const, t: 0.4, s: 0.3, seed: 1, step: 10, sample: r, init: false })),
      });
      const plain = await model.step(batch(0));
      const clamped = await model.step(batch(0.5));
      const ids = await decode(gen, plain.x0.slice(0, ld), 1);
      const enc = await encode(gen, [Int32Array.from(ids, Number)]);
      assert.ok(maxAbsDiff(clamped.x0.subarray(0, ld), enc) < 1e-5, "sample 0's x̂0 is Enc(argmax Dec(x̂0))");
      assert.ok(maxAbsDiff(plain.x0.subarray(0, ld), enc) > 1e-3, "and that differs from the denoiser's x̂0");
      const expected = new Float32Array(ld);
      math.step("ddim", batch(0).x.subarray(0, ld), enc, 0.4, 0.3, null, expected);
      assert.ok(maxAbsDiff(clamped.x.subarray(0, ld), expected) < 1e-5, "its update is the DDIM step with the clamped x̂0");
      assert.deepEqual(clamped.x0.subarray(ld), plain.x0.subarray(ld), "sample 1 (clamp 0) is untouched");
      assert.deepEqual(clamped.x.subarray(ld), plain.x.subarray(ld));
    } finally {
      await model.release();
    }
    const noEnc = await openArtifactModel(gen, m, coreMath(m.config.schedule), { threads: 1 });
    try {
      assert.equal(noEnc.canClamp, false);
      const ld = m.config.maxLen * m.config.latentDim;
      const b: StepBatch = { rows: 1, x: new Float32Array(ld), xsc: new Float32Array(ld), t: new Float32Array([0.2]), samples: [{ row: 0, uncondRow: -1, guidance: 0, clamp: 0.5, sampler: "ddim", t: 0.2, s: 0.1, seed: 1, step: 3, sample: 0, init: false }] };
      await assert.rejects(noEnc.step(b), /latent clamping needs the encoder graph/);
    } finally {
      await noEnc.release();
    }
  });

  test("sampling: clamping changes the samples, deterministically and whatever the batch size", async () => {
    const plain = await sampleArtifact({ artifactDir: gen, n: 3, steps: 6, seed: 7 });
    const clamped = await sampleArtifact({ artifactDir: gen, n: 3, steps: 6, seed: 7, clamp: 0.5 });
    assert.notDeepEqual(clamped.latents, plain.latents);
    const again = await sampleArtifact({ artifactDir: gen, n: 3, steps: 6, seed: 7, clamp: 0.5, batchSize: 2 });
    assert.deepEqual(again.ids, clamped.ids);
    assert.deepEqual(again.latents, clamped.latents);
  });

  test("the threshold decides which steps clamp: below the last step's t nothing changes", async () => {
    // The grid of 6 steps visits t = 1, 0.835, …, 0.175: a threshold under 0.175 never fires.
    const plain = await sampleArtifact({ artifactDir: gen, n: 2, steps: 6, seed: 9, sampler: "sde" });
    const never = await sampleArtifact({ artifactDir: gen, n: 2, steps: 6, seed: 9, sampler: "sde", clamp: 0.1 });
    assert.deepEqual(never.latents, plain.latents);
    const always = await sampleArtifact({ artifactDir: gen, n: 2, steps: 6, seed: 9, sampler: "sde", clamp: 1 });
    assert.notDeepEqual(always.latents, plain.latents);
  });

  test("summarize with guidance: clamped summaries differ from unclamped ones and are reproducible", async () => {
    const docs = ["a first document about one thing", "another document about something else"];
    const plain = await sampleArtifact({ artifactDir: sum, steps: 4, seed: 2, documents: docs, guidance: 2 });
    const a = await sampleArtifact({ artifactDir: sum, steps: 4, seed: 2, documents: docs, guidance: 2, clamp: 1 });
    const b = await sampleArtifact({ artifactDir: sum, steps: 4, seed: 2, documents: docs, guidance: 2, clamp: 1, batchSize: 2 });
    assert.notDeepEqual(a.latents, plain.latents);
    assert.deepEqual(b.latents, a.latents);
  });

  test("bad clamp values and artifacts without an encoder get clear errors", async () => {
    await assert.rejects(sampleArtifact({ artifactDir: noEncoder, n: 1, steps: 2, seed: 1, clamp: 0.3 }), /has no encoder graph: latent clamping/);
    await assert.rejects(sampleArtifact({ artifactDir: gen, n: 1, steps: 2, seed: 1, clamp: 1.5 }), /clamp must be a time in \[0, 1\]/);
    await assert.rejects(sampleArtifact({ artifactDir: gen, n: 1, steps: 2, seed: 1, clamp: -0.1 }), /clamp must be a time in \[0, 1\]/);
    const off = await sampleArtifact({ artifactDir: noEncoder, n: 1, steps: 2, seed: 1, clamp: 0 });
    assert.equal(off.ids.length, 1);
  });
});
