import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeRandomArtifact } from "../artifact/write.ts";
import { placeholderVocabulary, tinyConfig } from "../testing.ts";
import { mbrSelect } from "@ldtext/core";
import { sampleArtifact } from "./sample.ts";

const tmp = (): string => mkdtempSync(join(tmpdir(), "ldtext-sample-"));

describe("sampleArtifact", () => {
  let gen = "";
  let sum = "";
  before(async () => {
    gen = join(tmp(), "gen");
    sum = join(tmp(), "sum");
    await writeRandomArtifact({ config: tinyConfig("generate", { vocabSize: 300 }), vocabulary: placeholderVocabulary(300), outDir: gen, seed: 3 });
    await writeRandomArtifact({ config: tinyConfig("summarize", { vocabSize: 300 }), vocabulary: placeholderVocabulary(300), outDir: sum, seed: 4 });
  });

  test("generate: shapes, determinism by seed, independence of the batch size", async () => {
    const a = await sampleArtifact({ artifactDir: gen, n: 5, steps: 4, sampler: "sde", seed: 11, batchSize: 5 });
    assert.equal(a.texts.length, 5);
    assert.equal(a.ids.length, 5);
    for (const row of a.ids) {
      assert.equal(row.length, 16);
      for (const id of row) assert.ok(id >= 0 && id < 300);
    }
    assert.ok(a.seconds > 0);
    const b = await sampleArtifact({ artifactDir: gen, n: 5, steps: 4, sampler: "sde", seed: 11, batchSize: 2 });
    assert.deepEqual(b.ids, a.ids, "same seed, other batch size → the same samples");
    const c = await sampleArtifact({ artifactDir: gen, n: 5, steps: 4, sampler: "sde", seed: 12, batchSize: 5 });
    assert.notDeepEqual(c.ids, a.ids, "another seed → other samples");
    // The first k samples of a request of n are the request of k (rows are the sample index).
    const first2 = await sampleArtifact({ artifactDir: gen, n: 2, steps: 4, sampler: "sde", seed: 11 });
    assert.deepEqual(first2.ids, a.ids.slice(0, 2));
    // The sampler matters (ddim vs sde take different paths from the same initial noise).
    const d = await sampleArtifact({ artifactDir: gen, n: 5, steps: 4, sampler: "ddim", seed: 11 });
    assert.notDeepEqual(d.ids, a.ids);
  });

  test("generate with the int8 denoiser: a clear error without one; with one, samples close to the fp32 graph's", async () => {
    await assert.rejects(sampleArtifact({ artifactDir: gen, n: 1, steps: 2, seed: 1, denoiser: "int8" }), /lists no denoiser_int8 graph/);
    const q = join(tmp(), "gen-int8");
    await writeRandomArtifact({ config: tinyConfig("generate", { vocabSize: 300 }), vocabulary: placeholderVocabulary(300), outDir: q, seed: 3, quantize: "int8" });
    const f = await sampleArtifact({ artifactDir: q, n: 4, steps: 3, seed: 5 });
    const i = await sampleArtifact({ artifactDir: q, n: 4, steps: 3, seed: 5, denoiser: "int8" });
    assert.equal(i.ids.length, 4);
    // Same weights, quantized: most argmax tokens agree (random weights make this a weak bound).
    const all = f.ids.flatMap((row, r) => [...row].map((id, k) => id === i.ids[r][k]));
    assert.ok(all.filter(Boolean).length / all.length > 0.5, `int8 and fp32 tokens agree on ${all.filter(Boolean).length} of ${all.length}`);
  });

  test("generate: length cuts the decoded text, and bad options get clear errors", async () => {
    const full = await sampleArtifact({ artifactDir: gen, n: 3, steps: 2, seed: 1 });
    const short = await sampleArtifact({ artifactDir: gen, n: 3, steps: 2, seed: 1, length: 2 });
    assert.deepEqual(short.ids, full.ids);
    for (const t of short.texts) assert.ok(t.length <= 6, `a 2-token text is short: ${JSON.stringify(t)}`);
    await assert.rejects(sampleArtifact({ artifactDir: gen, n: 0, steps: 2, seed: 1 }), /n must be a positive integer/);
    await assert.rejects(sampleArtifact({ artifactDir: gen, n: 1, steps: 2, seed: 1, length: 99 }), /length must be an integer in \[1, 16\]/);
    await assert.rejects(sampleArtifact({ artifactDir: gen, n: 1, steps: 2, seed: 1, documents: ["x"] }), /documents are not accepted/);
    await assert.rejects(sampleArtifact({ artifactDir: join(gen, "missing"), n: 1, steps: 2, seed: 1 }));
  });

  test("summarize: one sample per document, document i reproducible alone with seed + i, guidance changes the output", async () => {
    const docs = ["The cat sat on the mat all day.", "Rain fell over the hills of the north.", "A short one."];
    const a = await sampleArtifact({ artifactDir: sum, steps: 3, sampler: "ddim", seed: 7, documents: docs, batchSize: 2 });
    assert.equal(a.ids.length, 3);
    const alone = await sampleArtifact({ artifactDir: sum, steps: 3, sampler: "ddim", seed: 9, documents: [docs[2]] });
    assert.deepEqual(alone.ids[0], a.ids[2], "document 2 of a call with seed 7 = that document alone with seed 9");
    const guided = await sampleArtifact({ artifactDir: sum, steps: 3, sampler: "ddim", seed: 7, documents: docs, guidance: 3, batchSize: 4 });
    const guided2 = await sampleArtifact({ artifactDir: sum, steps: 3, sampler: "ddim", seed: 7, documents: docs, guidance: 3, batchSize: 6 });
    assert.deepEqual(guided.ids, guided2.ids, "guided rows do not depend on the batch size either");
    assert.notDeepEqual(guided.ids, a.ids, "guidance w = 3 moves the samples");
    await assert.rejects(sampleArtifact({ artifactDir: sum, steps: 3, seed: 7 }), /pass documents/);
    await assert.rejects(sampleArtifact({ artifactDir: sum, steps: 3, seed: 7, documents: [""] }), /documents\[0\] has no tokens/);
  });

  test("summarize with candidates: k samples per document (candidate 0 is the one-sample call's), the MBR one kept", async () => {
    const docs = ["The cat sat on the mat all day.", "Rain fell over the hills of the north."];
    const one = await sampleArtifact({ artifactDir: sum, steps: 3, sampler: "ddim", seed: 5, documents: docs });
    const k = await sampleArtifact({ artifactDir: sum, steps: 3, sampler: "ddim", seed: 5, documents: docs, candidates: 3, batchSize: 4 });
    assert.equal(k.texts.length, 2);
    assert.equal(k.candidateTexts!.length, 2);
    k.candidateTexts!.forEach((c, i) => {
      assert.equal(c.length, 3);
      assert.equal(c[0], one.texts[i], "candidate 0 is noise row 0 of the document's seed");
      assert.equal(k.chosen![i], mbrSelect(c).index);
      assert.equal(k.texts[i], c[k.chosen![i]]);
    });
    await assert.rejects(sampleArtifact({ artifactDir: gen, n: 2, steps: 3, seed: 1, candidates: 2 }), /generate model has none/);
    await assert.rejects(sampleArtifact({ artifactDir: sum, steps: 3, seed: 1, documents: docs, candidates: 0 }), /candidates must be an integer/);
  });
});
