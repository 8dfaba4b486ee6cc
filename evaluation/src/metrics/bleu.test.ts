import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { corpusBleu, brevityPenalty } from "./bleu.ts";

const t = (s: string) => s.split(" ");
const close = (a: number, b: number, eps = 1e-6) => assert.ok(Math.abs(a - b) < eps, `${a} ≉ ${b}`);

describe("corpusBleu (NLTK corpus_bleu semantics)", () => {
  test("identical texts → 1", () => {
    const r = corpusBleu([{ candidate: t("the cat sat on the mat"), references: [t("the cat sat on the mat")] }]);
    close(r.bleu, 1);
    assert.deepEqual(r.precisions, [1, 1, 1, 1]);
  });

  test("hand-computed: one short candidate", () => {
    // cand 'the cat sat on mat' (c = 5), ref 'the cat sat on the mat' (r = 6)
    // p1 = 5/5, p2 = 3/4 ('on mat' misses), p3 = 2/3, p4 = 1/2
    // geometric mean = (1 · 3/4 · 2/3 · 1/2)^(1/4) = 0.25^0.25 = 0.70710678
    // BP = exp(1 − 6/5) = exp(−0.2) = 0.81873075 → BLEU = 0.57893007
    const r = corpusBleu([{ candidate: t("the cat sat on mat"), references: [t("the cat sat on the mat")] }]);
    assert.deepEqual(r.matches, [5, 3, 2, 1]);
    assert.deepEqual(r.totals, [5, 4, 3, 2]);
    close(r.brevityPenalty, 0.81873075);
    close(r.bleu, 0.57893007);
  });

  test("hand-computed: corpus sums, with NLTK's per-sentence floor of 1 n-gram", () => {
    // A: 'a b c d' vs 'a b c d' → matches 4,3,2,1 of 4,3,2,1
    // B: 'a b' vs 'a c' → unigrams 1/2, bigrams 0/1, trigrams 0/max(1,0)=1, 4-grams 0/1
    // corpus: p = 5/6, 3/4, 2/3, 1/2; c = r = 6 → BP = 1
    // BLEU = (5/6 · 3/4 · 2/3 · 1/2)^(1/4) = (0.2083333)^(1/4) = 0.67559912
    const r = corpusBleu([
      { candidate: t("a b c d"), references: [t("a b c d")] },
      { candidate: t("a b"), references: [t("a c")] },
    ]);
    assert.deepEqual(r.matches, [5, 3, 2, 1]);
    assert.deepEqual(r.totals, [6, 4, 3, 2]);
    assert.equal(r.brevityPenalty, 1);
    close(r.bleu, 0.67559912);
  });

  test("clipping: repeated candidate words count at most as often as in the reference", () => {
    // 'the the the the' vs 'the cat': p1 = 1/4 (clipped), higher orders 0 → unsmoothed 0
    const r = corpusBleu([{ candidate: t("the the the the"), references: [t("the cat")] }], { maxOrder: 1 });
    close(r.precisions[0], 0.25);
    close(r.bleu, 0.25);
  });

  test("hand-computed smoothing: none, epsilon (NLTK method1), add1 (NLTK method2)", () => {
    // 'a b c d' vs 'a b c e': p = 3/4, 2/3, 1/2, 0/1; c = r = 4
    const seg = [{ candidate: t("a b c d"), references: [t("a b c e")] }];
    assert.equal(corpusBleu(seg).bleu, 0);
    // epsilon: p4 = 0.1/1 → (3/4 · 2/3 · 1/2 · 0.1)^(1/4) = 0.025^0.25 = 0.39763536
    close(corpusBleu(seg, { smoothing: "epsilon" }).bleu, 0.39763536);
    // add1 (orders ≥ 2): 3/4, 3/4, 2/3, 1/2 → 0.1875^0.25 = 0.65803701
    close(corpusBleu(seg, { smoothing: "add1" }).bleu, 0.65803701);
  });

  test("closest reference length, ties to the shorter; brevity penalty edges", () => {
    // c = 5, refs of length 4 and 6 are equally close → r = 4 < c → BP = 1
    const r = corpusBleu([{ candidate: t("a b c d e"), references: [t("a b c d"), t("a b c d e f")] }]);
    assert.equal(r.referenceLength, 4);
    assert.equal(r.brevityPenalty, 1);
    assert.equal(brevityPenalty(3, 0), 0);
    close(brevityPenalty(4, 2), Math.exp(-1));
  });

  test("bad input is refused with a message", () => {
    assert.throws(() => corpusBleu([]), /at least one segment/);
    assert.throws(() => corpusBleu([{ candidate: ["a"], references: [] }]), /at least one reference/);
    assert.throws(() => corpusBleu([{ candidate: ["a"], references: [["a"]] }], { maxOrder: 0 }), /maxOrder/);
  });
});
