import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  textPerplexity, trimmedMean, perplexityStats, entropyFromLogits, unigramEntropy, meanTokenEntropy, meanPredictiveEntropy,
} from "./perplexity.ts";

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} ≉ ${b}`);

describe("perplexity helpers", () => {
  test("per-text exp(mean NLL)", () => {
    // NLLs ln 2 and ln 8 → mean ln 4 → PPL 4
    close(textPerplexity([Math.log(2), Math.log(8)]), 4);
    // a uniform model over V tokens has PPL V
    close(textPerplexity(new Float32Array(5).fill(Math.log(100))), 100, 1e-4);
    assert.throws(() => textPerplexity([]), /at least one/);
    assert.throws(() => textPerplexity([NaN]), /non-finite/);
  });

  test("5–95 % trimmed mean drops floor(0.05 n) from each end", () => {
    // n = 20: one value cut at each end; 1..18 plus outliers −1000 and 1000 → mean of 1..18 = 9.5
    const v = [1000, ...Array.from({ length: 18 }, (_, i) => i + 1), -1000];
    close(trimmedMean(v), 9.5);
    // n = 19: floor(0.95) = 0 cut → plain mean
    close(trimmedMean([1, 2, 3, ...Array(16).fill(0)]), 6 / 19);
    assert.throws(() => trimmedMean([1], 0.5), /proportion/);
  });

  test("stats over texts", () => {
    const s = perplexityStats([[Math.log(2)], [Math.log(4)], [Math.log(6)], [Math.log(100)]]);
    assert.equal(s.count, 4);
    close(s.mean, (2 + 4 + 6 + 100) / 4);
    close(s.median, 5);
    close(s.trimmedMean, s.mean); // floor(0.2) = 0 cut with 4 texts
  });

  test("entropies", () => {
    close(entropyFromLogits([0, 0, 0, 0]), Math.log(4));
    close(entropyFromLogits([1000, 0]), 0); // stable for large logits
    // 'a a b b' → two tokens at 1/2 → ln 2; 'a a a a' → 0
    close(unigramEntropy(["a", "a", "b", "b"]), Math.log(2));
    close(meanTokenEntropy([["a", "a", "b", "b"], [7, 7, 7, 7]]), Math.log(2) / 2);
    close(meanPredictiveEntropy([[1, 2], [3]]), 2);
  });
});
