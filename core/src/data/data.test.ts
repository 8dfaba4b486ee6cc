import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { readJsonl, collect, DataFileError } from "./jsonl.ts";
import { dataDir, readTexts, readXsum } from "./datasets.ts";
import { wikiLeadPairs, wikiParagraphPairs, splitFirstSentence } from "./wiki.ts";
import { padBatch, padDocuments } from "./batch.ts";
import { shuffled } from "../rng.ts";
import { EOS_ID, PAD_ID } from "../tokenizer.ts";

let dir: string;
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "ldtext-data-"));
  await mkdir(join(dir, "rocstories"));
  await mkdir(join(dir, "xsum"));
  await mkdir(join(dir, "wikipedia"));
  const stories = Array.from({ length: 50 }, (_, i) => ({ text: `Story ${i}: Tom went home. He slept. é🙂` }));
  await writeFile(join(dir, "rocstories", "train.jsonl.gz"), gzipSync(jsonl(stories)));
  await writeFile(join(dir, "rocstories", "validation.jsonl"), jsonl(stories.slice(0, 3)) + "\n\n");
  await writeFile(join(dir, "rocstories", "broken.jsonl"), jsonl([{ text: "ok" }]) + "{not json\n");
  await writeFile(join(dir, "rocstories", "nofield.jsonl"), jsonl([{ text: "ok" }, { title: "x" }]));
  await writeFile(join(dir, "rocstories", "corrupt.jsonl.gz"), gzipSync(jsonl(stories)).subarray(0, 60));
  await writeFile(join(dir, "xsum", "validation.jsonl.gz"), gzipSync(jsonl([{ document: "Doc one.\nMore.", summary: "Sum one.", id: "1" }, { document: "Doc two.", summary: "Sum two.", id: "2" }])));
  const lead = "The Example River is a river in Examplia. It flows for 100 km (62 mi.) through the St. Paul valley and J. Smith mapped it in 1850. It is known for its fish, which include trout, salmon and many other species that live in cold water.";
  const wiki = [
    { text: lead, article: "10", title: "Example River", para: 0 },
    { text: "The river was first described in a report that also covered the nearby lakes and the mountains around them, with long tables of depths.", article: "10", title: "Example River", para: 1 },
    { text: "A third paragraph that is never used by the pair builder at all.", article: "10", title: "Example River", para: 2 },
    { text: "Tiny is a stub. Too short.", article: "11", title: "Tiny", para: 0 },
    { text: "Dr. No is a 1962 film. " + "It is long enough to be a document on its own, with plenty of words in it to pass the minimum. ".repeat(5), article: "12", title: "Dr. No", para: 0 },
  ];
  await writeFile(join(dir, "wikipedia", "train.jsonl.gz"), gzipSync(jsonl(wiki)));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("data readers", () => {
  test("dataDir: DATA_DIR or <repo>/../shared/data", () => {
    const saved = process.env.DATA_DIR;
    try {
      delete process.env.DATA_DIR;
      assert.equal(dataDir(), resolve(fileURLToPath(new URL("../../..", import.meta.url)), "..", "shared", "data"));
      process.env.DATA_DIR = dir;
      assert.equal(dataDir(), dir);
    } finally {
      if (saved === undefined) delete process.env.DATA_DIR;
      else process.env.DATA_DIR = saved;
    }
  });

  test("streams .jsonl.gz and .jsonl; skips blank lines", async () => {
    const texts = await collect(readTexts("rocstories", "train", { dataDir: dir }));
    assert.equal(texts.length, 50);
    assert.equal(texts[7], "Story 7: Tom went home. He slept. é🙂");
    assert.equal((await collect(readTexts("rocstories", "validation", { dataDir: dir }))).length, 3);
    assert.equal((await collect(readTexts(join(dir, "rocstories", "train.jsonl.gz"), "ignored"))).length, 50);
    assert.equal((await collect(readTexts("rocstories", "train", { dataDir: dir }), 5)).length, 5);
    const xs = await collect(readXsum("validation", { dataDir: dir }));
    assert.deepEqual(xs[0], { document: "Doc one.\nMore.", summary: "Sum one.", id: "1" });
    assert.equal((await collect(readJsonl(join(dir, "xsum", "validation.jsonl.gz")))).length, 2);
  });

  test("errors name the file and line", async () => {
    await assert.rejects(collect(readTexts(join(dir, "rocstories", "broken.jsonl"), "x")), /broken\.jsonl:2: invalid JSON/);
    await assert.rejects(collect(readTexts(join(dir, "rocstories", "nofield.jsonl"), "x")), /nofield\.jsonl:2: field "text" missing/);
    await assert.rejects(collect(readTexts(join(dir, "rocstories", "corrupt.jsonl.gz"), "x")), (e: unknown) => e instanceof DataFileError && /corrupt\.jsonl\.gz:\d+: cannot read/.test(e.message));
    await assert.rejects(collect(readTexts("rocstories", "nosuchsplit", { dataDir: dir })), /nosuchsplit\.jsonl\.gz: split "nosuchsplit" not found/);
    await assert.rejects(collect(readJsonl(join(dir, "missing.jsonl"))), /missing\.jsonl: file not found/);
  });

  test("first-sentence splitting respects parentheses, abbreviations and initials", () => {
    assert.deepEqual(splitFirstSentence("Dr. No is a film (c. 1962). It was a hit."), ["Dr. No is a film (c. 1962).", "It was a hit."]);
    assert.deepEqual(splitFirstSentence("The U.S. Army is big. It has troops."), ["The U.S. Army is big.", "It has troops."]);
    assert.deepEqual(splitFirstSentence("J. R. R. Tolkien wrote \"books.\" Many of them."), ["J. R. R. Tolkien wrote \"books.\"", "Many of them."]);
    assert.deepEqual(splitFirstSentence("No end here"), ["No end here", ""]);
  });

  test("wikiLeadPairs: first sentence → summary, rest of the lead (+ para 1 if short) → document", async () => {
    const pairs = await collect(wikiLeadPairs("train", { dataDir: dir }));
    assert.deepEqual(pairs.map((p) => p.id), ["wiki-10", "wiki-12"], "the stub article is skipped");
    assert.equal(pairs[0].summary, "The Example River is a river in Examplia.");
    assert.ok(pairs[0].document.startsWith("It flows for 100 km (62 mi.) through the St. Paul valley"));
    assert.ok(pairs[0].document.endsWith("long tables of depths."), "short lead extended by para 1");
    assert.ok(!pairs[0].document.includes("third paragraph"));
    assert.equal(pairs[1].summary, "Dr. No is a 1962 film.");
    assert.ok(pairs.every((p) => p.document.length >= 200));
    const strict = await collect(wikiLeadPairs("train", { dataDir: dir, minDocumentChars: 1000 }));
    assert.equal(strict.length, 0);
  });

  test("wikiParagraphPairs: every paragraph's first sentence → summary, the rest (+ the next paragraph if short) → document", async () => {
    const pairs = await collect(wikiParagraphPairs("train", { dataDir: dir, minDocumentChars: 20 }));
    assert.deepEqual(pairs.map((p) => p.id), ["wiki-10-p0", "wiki-10-p1", "wiki-12-p0"], "para 2 has no rest and no next paragraph; the stub is too short");
    assert.equal(pairs[0].summary, "The Example River is a river in Examplia.");
    assert.equal(pairs[1].summary, "The river was first described in a report that also covered the nearby lakes and the mountains around them, with long tables of depths.", "a one-sentence paragraph's summary is that sentence");
    assert.equal(pairs[1].document, "A third paragraph that is never used by the pair builder at all.", "its document is the next paragraph");
    const lead = await collect(wikiLeadPairs("train", { dataDir: dir }));
    const withDefaults = await collect(wikiParagraphPairs("train", { dataDir: dir }));
    assert.deepEqual(withDefaults.map((p) => p.summary), lead.map((p) => p.summary), "with the lead builder's filters only the two lead pairs pass here");
  });

  test("deterministic shuffle by seed", async () => {
    const texts = await collect(readTexts("rocstories", "train", { dataDir: dir }));
    assert.deepEqual(shuffled(texts, 3), shuffled(texts, 3));
    assert.notDeepEqual(shuffled(texts, 3), texts);
  });

  test("padBatch lays out rows (truncate to L − 1, EOS, PAD) with length statistics", () => {
    const b = padBatch([[10, 11], [20, 21, 22, 23, 24, 25], []], 5);
    assert.deepEqual([...b.ids], [10, 11, EOS_ID, PAD_ID, PAD_ID, 20, 21, 22, 23, EOS_ID, EOS_ID, PAD_ID, PAD_ID, PAD_ID, PAD_ID]);
    assert.deepEqual(b.stats, { mean: 8 / 3, max: 6, fractionTruncated: 1 / 3 });
    assert.equal(padBatch([[1, 2, 3, 4]], 5).stats.fractionTruncated, 0, "exactly L − 1 tokens fit");
    const d = padDocuments([[5, 6, 7], [8]], 2);
    assert.deepEqual([...d.ids], [5, 6, 8, PAD_ID]);
    assert.deepEqual([...d.mask], [1, 1, 1, 0]);
    assert.equal(d.stats.fractionTruncated, 0.5);
  });
});
