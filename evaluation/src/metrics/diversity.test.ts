import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { diversity, distinctNgrams, memorization } from "./diversity.ts";
import { NgramIndex, buildNgramIndex } from "./ngram-index.ts";
import { hashTokens, ngramFingerprint } from "./ngram-hash.ts";

const t = (s: string) => s.split(" ");

describe("Div", () => {
  test("hand-computed", () => {
    // texts 'a b a b' and 'a b c':
    // bigrams: ab ba ab | ab bc → 5 total, distinct {ab, ba, bc} = 3 → 3/5
    // trigrams: aba bab | abc → 3 total, all distinct → 1
    // 4-grams: abab → 1 total, 1 distinct → 1            Div = 0.6
    const r = diversity([t("a b a b"), t("a b c")]);
    assert.deepEqual(r.perOrder.map((o) => [o.distinct, o.total]), [[3, 5], [3, 3], [1, 1]]);
    assert.equal(r.div, 0.6);
  });
  test("fully repetitive text has low Div; n-grams do not cross texts; token ids work", () => {
    // 'x x x x x x': bigrams 1/5, trigrams 1/4, 4-grams 1/3 → 1/60
    assert.equal(diversity([t("x x x x x x")]).div, 1 / 60);
    // two texts 'a b' and 'c d': bigrams ab, cd (no 'b c') → 2/2
    assert.deepEqual(distinctNgrams([t("a b"), t("c d")], 2), { n: 2, distinct: 2, total: 2, ratio: 1 });
    assert.equal(distinctNgrams([[1, 2, 3], [1, 2, 4]], 2).distinct, 3);
    assert.ok(Number.isNaN(distinctNgrams([t("a b")], 4).ratio));
  });
});

describe("Mem with the fingerprint index", () => {
  test("hand-computed on a small training set", async () => {
    const train = [t("the cat sat on the mat"), t("a dog ran in the park")];
    const index = await buildNgramIndex(train, { n: 4 });
    assert.equal(index.size, 3 + 3); // 6-token texts have 3 four-grams each
    // generated: 'the cat sat on the rug' → 4-grams: [the cat sat on] yes, [cat sat on the] yes,
    // [sat on the rug] no; 'a dog ran in' → yes; 'x y' → none. Mem = 3/4
    const r = memorization([t("the cat sat on the rug"), t("a dog ran in"), t("x y")], index);
    assert.deepEqual(r, { mem: 0.75, found: 3, total: 4 });
    // 4-grams spanning the two training texts were never added
    assert.equal(index.has(t("the mat a dog")), false);
    assert.equal(index.has(t("on the mat x")), false);
  });

  test("multiplicity counts; numeric token ids; order matters", () => {
    const index = new NgramIndex({ n: 2 });
    index.addText([1, 2, 3]);
    assert.deepEqual(memorization([[1, 2, 1, 2]], index), { mem: 2 / 3, found: 2, total: 3 });
    assert.equal(index.has([2, 1]), false);
    assert.equal(index.has([2, 3]), true);
    assert.throws(() => index.addText([1.5, 2]), /safe integers/);
  });

  test("grows past its initial size without losing keys, and has no false positives here", () => {
    const index = new NgramIndex({ n: 3 });
    const tokens = Array.from({ length: 20_000 }, (_, i) => i);
    index.addText(tokens);
    assert.equal(index.size, 19_998);
    assert.ok(index.bytes >= 19_998 * 8);
    assert.equal(index.countFound(tokens).found, 19_998);
    // 20 000 unseen trigrams (reversed order) → none found
    assert.equal(index.countFound(tokens.slice().reverse()).found, 0);
  });

  test("fingerprints are distinct for 200 000 distinct 4-grams", () => {
    const h = hashTokens(Array.from({ length: 200_003 }, (_, i) => `w${i % 50_000}_${Math.floor(i / 7)}`));
    const fp = new Uint32Array(2);
    const seen = new Set<string>();
    for (let i = 0; i < 200_000; i++) {
      ngramFingerprint(h, i, 4, fp);
      seen.add(`${fp[0]}:${fp[1]}`);
    }
    assert.equal(seen.size, 200_000);
  });

  test("save/load round trip (atomic write) and corrupt files are refused", () => {
    const dir = mkdtempSync(join(tmpdir(), "ngram-index-"));
    try {
      const index = new NgramIndex({ n: 4, label: "words/rouge-tokenize" });
      index.addText(t("one two three four five six"));
      const path = join(dir, "train.4gram");
      index.save(path);
      assert.deepEqual(readdirSync(dir), ["train.4gram"]);
      const back = NgramIndex.load(path);
      assert.equal(back.n, 4);
      assert.equal(back.label, "words/rouge-tokenize");
      assert.equal(back.size, 3);
      assert.equal(back.has(t("two three four five")), true);
      assert.equal(back.has(t("two three four six")), false);
      back.addText(t("seven eight nine ten"));
      assert.equal(back.size, 4);
      writeFileSync(path, "not an index at all, sorry");
      assert.throws(() => NgramIndex.load(path), /not an n-gram index/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
