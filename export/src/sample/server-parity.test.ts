// Parity with the server: the server's Scheduler (step-level continuous batching, now in core) and
// core math, over the same ONNX graphs, must give exactly the ids sampleArtifact gives.
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { CompactTokenizer, Scheduler, applySampler, coreMath, initLatents, readArtifact } from "@ldtext/core";
import type { ConditionEncoding, DenoiseBatch, ModelBackend, SamplingMath, StepBatch } from "@ldtext/core";
import { writeRandomArtifact } from "../artifact/write.ts";
import { placeholderVocabulary, tinyConfig } from "../testing.ts";
import { sampleArtifact } from "./sample.ts";

/**
 * The server's ONNX lane minus the worker thread: what server/src/engine/worker.ts does in a step
 * (initLatents, the denoiser on the same feeds, applySampler), with the server's own functions.
 */
async function directBackend(dir: string, math: SamplingMath): Promise<ModelBackend & { release(): Promise<void> }> {
  const m = await readArtifact(dir);
  const open = (role: "denoiser" | "decoder" | "cond_encoder") => ort.InferenceSession.create(join(dir, m.graphs[role]!.file), { graphOptimizationLevel: "all", intraOpNumThreads: 1, logSeverityLevel: 3 });
  const den = await open("denoiser");
  const dec = await open("decoder");
  const ce = m.task === "summarize" ? await open("cond_encoder") : null;
  const L = m.config.maxLen;
  const d = m.config.latentDim;
  const condDim = m.task === "summarize" ? m.config.condEnc!.dModel : 0;
  const denoise = async (b: DenoiseBatch): Promise<Float32Array> => {
    const feeds: Record<string, ort.Tensor> = {
      x_t: new ort.Tensor("float32", b.x, [b.rows, L, d]),
      x_sc: new ort.Tensor("float32", b.xsc, [b.rows, L, d]),
      t: new ort.Tensor("float32", b.t, [b.rows]),
    };
    if (b.cond) {
      feeds.cond = new ort.Tensor("float32", b.cond.data, [b.rows, b.cond.S, condDim]);
      feeds.cond_mask = new ort.Tensor("float32", b.cond.mask, [b.rows, b.cond.S]);
    }
    return new Float32Array((await den.run(feeds)).x0_hat.data as Float32Array);
  };
  const ld = L * d;
  const backend: ModelBackend & { release(): Promise<void> } = {
    L, d, condDim,
    async step(b: StepBatch) {
      initLatents(b, math, ld);
      return applySampler(await denoise(b), b, math, ld);
    },
    async decode(latents: Float32Array, rows: number) {
      const out = await dec.run({ latents: new ort.Tensor("float32", latents, [rows, L, d]) });
      return Int32Array.from(out.ids.data as BigInt64Array, (v) => Number(v));
    },
    async encodeCondition(tokens: Int32Array): Promise<ConditionEncoding> {
      const len = tokens.length;
      const out = await ce!.run({
        tokens: new ort.Tensor("int64", BigInt64Array.from(tokens, (v) => BigInt(v)), [1, len]),
        mask: new ort.Tensor("float32", new Float32Array(len).fill(1), [1, len]),
      });
      return { cond: new Float32Array(out.cond.data as Float32Array), len, nullCond: new Float32Array(out.null_cond.data as Float32Array) };
    },
    async release() {
      await Promise.all([den.release(), dec.release(), ce?.release()]);
    },
  };
  return backend;
}

describe("sampleArtifact = the server's scheduler", () => {
  let gen = "";
  let sum = "";
  before(async () => {
    gen = join(mkdtempSync(join(tmpdir(), "ldtext-parity-")), "gen");
    sum = join(mkdtempSync(join(tmpdir(), "ldtext-parity-")), "sum");
    await writeRandomArtifact({ config: tinyConfig("generate", { vocabSize: 300 }), vocabulary: placeholderVocabulary(300), outDir: gen, seed: 5 });
    await writeRandomArtifact({ config: tinyConfig("summarize", { vocabSize: 300 }), vocabulary: placeholderVocabulary(300), outDir: sum, seed: 6 });
  });

  test("generate: the same ids for every sampler, with other requests sharing the server's batches", async () => {
    const m = await readArtifact(gen);
    const math = coreMath(m.config.schedule);
    const backend = await directBackend(gen, math);
    const s = new Scheduler({ lanes: [backend], math, rowBudget: 7, queueSize: 16 });
    for (const sampler of ["ddim", "sde", "ode"] as const) {
      const ours = await sampleArtifact({ artifactDir: gen, n: 4, steps: 5, sampler, seed: 21, batchSize: 3 });
      // A second request with another seed and step count shares the batches (continuous batching).
      const [server] = await Promise.all([
        s.submit({ id: "a", n: 4, steps: 5, sampler, seed: 21, guidance: 0, deadline: performance.now() + 120_000 }),
        s.submit({ id: "b", n: 2, steps: 3, sampler: "sde", seed: 99, guidance: 0, deadline: performance.now() + 120_000 }),
      ]);
      assert.deepEqual(ours.ids, server.ids, `${sampler}: offline sampling differs from the server`);
    }
    await backend.release();
  });

  test("summarize with guidance: document i with seed + i, as POST /summarize {n: 1, seed: seed + i}", async () => {
    const m = await readArtifact(sum);
    const math = coreMath(m.config.schedule);
    const backend = await directBackend(sum, math);
    const s = new Scheduler({ lanes: [backend], math, rowBudget: 8, queueSize: 16 });
    const docs = ["one two three four five", "the river runs to the sea and back again", "x"];
    const ours = await sampleArtifact({ artifactDir: sum, steps: 4, sampler: "sde", seed: 40, guidance: 2, documents: docs, batchSize: 4 });
    const tok = CompactTokenizer.fromJSON(m.vocabulary);
    const server = await Promise.all(
      docs.map((doc, i) => s.submit({ id: `d${i}`, n: 1, steps: 4, sampler: "sde", seed: 40 + i, guidance: 2, condition: { key: `k${i}`, tokens: Int32Array.from(tok.encode(doc).slice(0, m.config.condMaxLen)) }, deadline: performance.now() + 120_000 })),
    );
    tok.free();
    assert.deepEqual(ours.ids, server.map((r) => r.ids[0]));
    await backend.release();
  });
});
