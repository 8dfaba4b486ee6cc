import { test } from "node:test";
import assert from "node:assert/strict";
import { pairMix, sentenceCorpus, sentencesOf } from "./news-data.ts";

const wiki = Array.from({ length: 50 }, (_, i) => ({ id: `w${i}`, summary: `Article ${i} is about a river.`, document: `It flows north for ${i} km. Fish live in it. It freezes in the long winter months.` }));
const xsum = [{ id: "x1", summary: "A council approved a new budget.", document: "The vote on Tuesday was close. Critics said the cuts go too far." }];

test("sentencesOf splits on sentence ends and drops short fragments", () => {
  assert.deepEqual(sentencesOf("It flows north for 3 km. Fish live.  It freezes in   winter."), ["It flows north for 3 km.", "It freezes in winter."]);
});

test("sentenceCorpus: distinct summaries and document sentences, capped and seeded", () => {
  const all = sentenceCorpus([...wiki, ...xsum], 10_000, 1);
  assert.ok(all.includes("A council approved a new budget."));
  assert.ok(all.includes("Critics said the cuts go too far."));
  assert.equal(all.filter((s) => s === "It freezes in the long winter months.").length, 1, "duplicates are kept once");
  assert.equal(all.length, 50 + 50 + 2 + 1 + 2, "50 summaries, 50 distinct 'flows north' sentences, the 2 shared ones, XSum's summary and its 2 sentences");
  assert.deepEqual(sentenceCorpus(wiki, 7, 3), sentenceCorpus(wiki, 7, 3));
  assert.equal(sentenceCorpus(wiki, 7, 3).length, 7);
});

test("pairMix: the drawn Wikipedia pairs plus every XSum pair repeated", () => {
  const mix = pairMix(wiki, xsum, { wikiCount: 20, xsumRepeat: 3, seed: 5 });
  assert.equal(mix.length, 23);
  assert.equal(mix.filter((p) => p.id === "x1").length, 3);
  assert.equal(new Set(mix.filter((p) => p.id.startsWith("w")).map((p) => p.id)).size, 20);
  assert.deepEqual(pairMix(wiki, xsum, { wikiCount: 20, xsumRepeat: 3, seed: 5 }), mix);
});

test("pairMix: copy pairs keep their first sentence in the document and are distinct from the drawn pairs", () => {
  const mix = pairMix(wiki, xsum, { wikiCount: 20, xsumRepeat: 3, seed: 5, copyCount: 10 });
  assert.equal(mix.length, 33);
  const copies = mix.filter((p) => p.id.endsWith("#copy"));
  assert.equal(copies.length, 10);
  for (const c of copies) assert.ok(c.document.startsWith(`${c.summary} It flows north`), c.document);
  const plain = new Set(mix.filter((p) => p.id.startsWith("w") && !p.id.endsWith("#copy")).map((p) => p.id));
  assert.equal(plain.size, 20);
  for (const c of copies) assert.ok(!plain.has(c.id.slice(0, -"#copy".length)), "a copy pair's paragraph is not also a plain pair");
  const noCopies = pairMix(wiki, xsum, { wikiCount: 20, xsumRepeat: 3, seed: 5 });
  assert.deepEqual(noCopies.filter((p) => p.id.startsWith("w")).map((p) => p.id).sort(), [...plain].sort(), "the same plain pairs with or without copies");
});
