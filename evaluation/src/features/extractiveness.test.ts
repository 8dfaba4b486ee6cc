import { test } from "node:test";
import assert from "node:assert/strict";
import { extractiveness } from "./extractiveness.ts";

const doc = "The council voted on Tuesday to close the old library. Critics said the cuts go too far.";
const lead = "The council voted on Tuesday to close the old library.";

test("extractiveness: a copied lead has no novel n-grams and lead ROUGE-L 1; a new sentence is mostly novel", () => {
  const copy = extractiveness([lead], [doc], [lead]);
  assert.equal(copy.novelUnigrams, 0);
  assert.equal(copy.novelBigrams, 0);
  assert.equal(copy.leadRougeL, 1);
  const fresh = extractiveness(["A town loses its library after a budget vote."], [doc], [lead]);
  assert.ok(fresh.novelBigrams > 0.8, `novel bigrams ${fresh.novelBigrams}`);
  assert.ok(fresh.novelUnigrams > 0.3 && fresh.novelUnigrams < 1, `novel unigrams ${fresh.novelUnigrams}`);
  assert.ok(fresh.leadRougeL > 0 && fresh.leadRougeL < 0.5, `lead ROUGE-L ${fresh.leadRougeL}`);
});

test("extractiveness: means over summaries, skipping empty ones; mismatched lengths are refused", () => {
  const m = extractiveness([lead, "", "library council"], [doc, doc, doc], [lead, lead, lead]);
  assert.equal(m.summaries, 3);
  assert.equal(m.novelUnigrams, 0, "the empty summary does not count as 0 or 1");
  assert.equal(m.novelBigrams, 0.5, "'library council' is not a bigram of the document: (0 + 1) / 2");
  assert.throws(() => extractiveness([lead], [doc, doc], [lead]), RangeError);
});
