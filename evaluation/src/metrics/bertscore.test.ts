import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { bertScore, buildIdf } from "./bertscore.ts";
import { featureMatrix } from "./matrix.ts";

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} ≉ ${b}`);
const S = Math.SQRT1_2;

describe("BERTScore (greedy cosine matching)", () => {
  test("identical embeddings → 1; scale does not matter (cosine)", () => {
    const a = featureMatrix([[1, 2, 3], [0, 1, 0], [4, 0, 1]]);
    const b = featureMatrix([[2, 4, 6], [0, 5, 0], [8, 0, 2]]);
    const r = bertScore(a, b);
    close(r.precision, 1);
    close(r.recall, 1);
    close(r.fmeasure, 1);
  });

  test("orthogonal embeddings → 0", () => {
    const r = bertScore(featureMatrix([[1, 0, 0], [0, 1, 0]]), featureMatrix([[0, 0, 1]]));
    assert.deepEqual(r, { precision: 0, recall: 0, fmeasure: 0 });
  });

  // candidate c1 = (1,0), c2 = (0,1); reference r1 = (1,0), r2 = (1,1)/√2, r3 = (−1,0)
  // cos: c1·r = (1, 1/√2, −1), c2·r = (0, 1/√2, 0)
  const cand = featureMatrix([[1, 0], [0, 1]]);
  const ref = featureMatrix([[1, 0], [1, 1], [-1, 0]]);

  test("2×3 by hand", () => {
    // P = (max(1, .707, −1) + max(0, .707, 0)) / 2 = (1 + 0.70710678)/2 = 0.85355339
    // R = (max(1, 0) + max(.707, .707) + max(−1, 0)) / 3 = 1.70710678/3 = 0.56903559
    // F = 2PR/(P+R) = 0.68284271
    const r = bertScore(cand, ref);
    close(r.precision, (1 + S) / 2);
    close(r.recall, (1 + S) / 3);
    close(r.fmeasure, 0.68284271, 1e-8);
  });

  test("2×3 by hand with idf weights", () => {
    // reference corpus (M = 3): [a c d] [a x] [c] → df a = 2, c = 2, d = 1
    // idf a = c = ln(4/3) = 0.28768207, d = ln(4/2) = 0.69314718, unseen b = ln 4 = 1.38629436
    const idf = buildIdf([["a", "c", "d"], ["a", "x"], ["c"]]);
    close(idf.idf.get("a")!, Math.log(4 / 3));
    close(idf.unseen, Math.log(4));
    // candidate tokens [a b], reference tokens [a c d]
    // P = (0.28768207·1 + 1.38629436·0.70710678)/(0.28768207 + 1.38629436) = 0.75744209
    // R = (0.28768207·1 + 0.28768207·0.70710678 + 0.69314718·0)/(1.26851132) = 0.38714989
    // F = 0.51239852
    const r = bertScore(cand, ref, { idf, candidateTokens: ["a", "b"], referenceTokens: ["a", "c", "d"] });
    close(r.precision, 0.75744209, 1e-8);
    close(r.recall, 0.38714989, 1e-8);
    close(r.fmeasure, 0.51239852, 1e-8);
  });

  test("excluded special tokens weigh nothing", () => {
    // drop r3 (the −1 match): R = (1 + 0.70710678)/2
    const r = bertScore(cand, ref, { exclude: new Set(["<sep>"]), candidateTokens: ["a", "b"], referenceTokens: ["a", "c", "<sep>"] });
    close(r.recall, (1 + S) / 2);
  });

  test("bad input is refused with a message", () => {
    assert.throws(() => bertScore(cand, featureMatrix([[1, 0, 0]])), /dims/);
    assert.throws(() => bertScore(cand, ref, { idf: buildIdf([["a"]]) }), /needs the candidate tokens/);
    assert.throws(() => bertScore(cand, ref, { idf: buildIdf([["a"]]), candidateTokens: ["a"], referenceTokens: ["a", "b", "c"] }), /1 candidate tokens for 2/);
  });
});
