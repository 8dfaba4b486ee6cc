import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CompactTokenizer } from "@ldtext/core";
import { trainRefLm } from "./train.ts";
import { RefLm, readRefLmJson } from "./reflm.ts";
import { initRefLmWeights } from "./model.ts";

const SUBJECTS = ["The cat", "A dog", "My friend", "The teacher"];
const VERBS = ["ate", "saw", "liked", "found"];
const OBJECTS = ["the apple.", "a red ball.", "the old book.", "some bread."];

/** A made-up corpus with strong regularities (subject verb object). */
function corpus(n: number, offset = 0): string[] {
  return Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    return `${SUBJECTS[k % 4]} ${VERBS[(k >> 2) % 4]} ${OBJECTS[(k >> 4) % 4]}`;
  });
}

function writeCorpus(): string {
  const dir = mkdtempSync(join(tmpdir(), "ldtext-reflm-"));
  const data = join(dir, "corpus");
  mkdirSync(data);
  writeFileSync(join(data, "train.jsonl"), corpus(64).map((text) => JSON.stringify({ text })).join("\n") + "\n");
  writeFileSync(join(data, "validation.jsonl"), corpus(16, 5).map((text) => JSON.stringify({ text })).join("\n") + "\n");
  return dir;
}

const mean = (xs: Float64Array[]) => xs.reduce((s, a) => s + a.reduce((x, y) => x + y, 0), 0) / xs.reduce((s, a) => s + a.length, 0);

describe("reference LM", () => {
  test("trains on a made-up corpus: its NLL on that corpus drops; features and token embeddings have the right shapes; resume continues", async () => {
    const dir = writeCorpus();
    const vocabulary = CompactTokenizer.build(corpus(64), { topK: 24 }).toJSON();
    const out = join(dir, "lm");
    const common = {
      data: join(dir, "corpus"), vocabFrom: "test vocabulary", vocabulary, out, batch: 8, lr: 3e-3,
      maxLen: 16, dModel: 32, heads: 2, layers: 1, ffn: 64, valEvery: 20, ckptEvery: 20, backend: "wasm" as const, progress: false,
    };
    const first = await trainRefLm({ ...common, steps: 20 });
    assert.equal(first.steps, 20);
    const s = await trainRefLm({ ...common, steps: 60 });
    assert.equal(s.steps, 60);
    const meta = await readRefLmJson(out);
    assert.equal(meta.step, 60);
    assert.equal(meta.history.length, 60, "the resumed run kept the first 20 steps' history");
    assert.match(meta.id, /^reflm-.*-d32l1-s60-[0-9a-f]{8}$/);

    const texts = corpus(64);
    const lm = await RefLm.load(out);
    const untrained = RefLm.fromWeights(meta, initRefLmWeights(meta.config, 0));
    const after = lm.nll(texts, 16);
    const before = untrained.nll(texts, 16);
    assert.equal(after.nlls.length, 64);
    assert.equal(after.empty.length, 0);
    const drop = mean(before.nlls) - mean(after.nlls);
    assert.ok(mean(before.nlls) > Math.log(meta.config.vocabSize) - 0.5, `untrained NLL ≈ ln V, got ${mean(before.nlls)}`);
    assert.ok(drop > 1.5, `NLL should drop by > 1.5 nats/token, before ${mean(before.nlls).toFixed(3)} after ${mean(after.nlls).toFixed(3)}`);
    for (let i = 0; i < texts.length; i++) assert.equal(after.nlls[i].length, lm.encode(texts[i]).length);
    assert.ok(after.entropies.every((e) => e.every((x) => x >= 0 && x <= Math.log(meta.config.vocabSize) + 1e-3)));

    // Batch size does not change the scores (causal: padding never reaches earlier positions).
    const one = lm.nll(texts.slice(0, 5), 1);
    for (let i = 0; i < 5; i++) for (let j = 0; j < one.nlls[i].length; j++) assert.ok(Math.abs(one.nlls[i][j] - after.nlls[i][j]) < 1e-4);

    const mixed = ["The cat ate the apple.", "", "A dog"];
    const f = lm.features(mixed, 2);
    assert.equal(f.rows, 3);
    assert.equal(f.cols, 32);
    assert.equal(f.data.length, 3 * 32);
    const emb = lm.tokenEmbeddings(mixed, 2);
    assert.equal(emb.length, 3);
    assert.equal(emb[0].embeddings.rows, lm.encode(mixed[0]).length);
    assert.deepEqual(emb[0].tokens, lm.encode(mixed[0]));
    assert.equal(emb[1].embeddings.rows, 1, "an empty text keeps one (BOS) row");
    // the feature of a text is its last token's hidden state
    const last = emb[2].embeddings;
    const fRow = Array.from(f.data).slice(2 * 32, 3 * 32);
    const eRow = Array.from(last.data).slice((last.rows - 1) * 32, last.rows * 32);
    for (let j = 0; j < 32; j++) assert.ok(Math.abs(fRow[j] - eRow[j]) < 1e-5);
    const nl = lm.nll(["", "A dog"]);
    assert.deepEqual(nl.empty, [0]);
    lm.dispose();
    untrained.dispose();
  });

  test("clear errors: not a reference-LM folder, bad steps", async () => {
    await assert.rejects(RefLm.load(tmpdir()), /not a reference-LM folder/);
    await assert.rejects(trainRefLm({ data: "x", vocabFrom: "y", out: join(tmpdir(), "nope"), steps: 0, progress: false, backend: "wasm" }), /--steps must be a positive integer/);
  });
});
