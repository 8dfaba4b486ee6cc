// Parity with the server, which now holds by construction: sampleArtifact and the server's engine
// worker run the same OrtModel (@ldtext/core/onnx) under the same Scheduler (@ldtext/core). What is
// left to show is that continuous batching does not change a request's numbers: the server's way
// (core's Scheduler over an in-process OrtModel, other requests sharing its batches) must give
// exactly the ids sampleArtifact gives. The live server on loopback against sampleArtifact, with the
// recorded texts, is server/src/golden.test.ts.
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CompactTokenizer, Scheduler, coreMath, readArtifact } from "@ldtext/core";
import { openArtifactModel } from "@ldtext/core/onnx";
import type { OrtModel } from "@ldtext/core/onnx";
import type { SamplingMath } from "@ldtext/core";
import { writeRandomArtifact } from "../artifact/write.ts";
import { placeholderVocabulary, tinyConfig } from "../testing.ts";
import { sampleArtifact } from "./sample.ts";

/** The server's lane minus the worker thread: the OrtModel its engine worker runs, in this thread. */
async function serverLane(dir: string): Promise<{ model: OrtModel; math: SamplingMath }> {
  const m = await readArtifact(dir);
  const math = coreMath(m.config.schedule);
  return { model: await openArtifactModel(dir, m, math, { threads: 1 }), math };
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
    const { model: backend, math } = await serverLane(gen);
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
    const { model: backend, math } = await serverLane(sum);
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
