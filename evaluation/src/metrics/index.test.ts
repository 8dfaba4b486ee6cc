import { test } from "node:test";
import assert from "node:assert/strict";
import * as metrics from "./index.ts";

test("the metrics index exposes one working entry point per metric", () => {
  const r = metrics.rouge("the cat sat", "the cat sat", { stem: true });
  assert.equal(r.rougeL.fmeasure, 1);
  assert.equal(metrics.corpusBleu([{ candidate: ["a", "b", "c", "d"], references: [["a", "b", "c", "d"]] }]).bleu, 1);
  assert.equal(metrics.meteor([["a", "b"]], ["b", "a"]), 0.5);
  assert.equal(metrics.diversity([["a", "b", "c", "d"]]).div, 1);
  assert.equal(metrics.porterStem("generously"), "gener");
  assert.equal(typeof metrics.mauve, "function");
  assert.equal(typeof metrics.bertScore, "function");
  assert.equal(typeof metrics.perplexityStats, "function");
  assert.equal(typeof metrics.NgramIndex, "function");
});
