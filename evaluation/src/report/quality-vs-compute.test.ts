import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EvalResult } from "../run/evaluate.ts";
import { mergeRows, readQualityReport, reportMarkdown, rowFromEval, writeQualityReport } from "./quality-vs-compute.ts";

function result(version: string, pplRatio: number, probe = true): EvalResult {
  return {
    kind: "ldtext-eval", version: 1, createdAt: "2026-12-04T00:00:00.000Z",
    config: { artifact: `models/m/${version}`, data: "rocstories", samples: 500, steps: 50, sampler: "ddim", seed: 0, guidance: 0, split: "test", batchSize: 32, references: 500, reflm: "runs/reflm/x" },
    artifact: { id: "m", version, task: "generate", maxLen: 64, norm: "data", trainingSteps: 10, command: "npm run train" },
    reflm: { id: "reflm-x", trainedOn: "rocstories", steps: 1000 },
    sampling: { seconds: 1, secondsPerSample: 0.002, samples: 500 },
    unconditional: {
      samples: 500, meanWords: 40, emptySamples: 0,
      ppl: { mean: 55.5 * pplRatio, trimmedMean: 50, median: 50, scoredTexts: 500, truncatedTexts: 0 },
      entropy: { sampleTokens: 3, predictive: 3 }, mauve: { mauve: 0.7, numBuckets: 50, pcaDims: 10, references: 500 },
      div: { div: 0.8, distinct: [] }, mem: { mem: 0.03, found: 3, total: 100 },
      unknownWords: { rate: 0.05, unknown: 5, total: 100, examples: ["sxu"] },
      referenceTexts: { ppl: { mean: 55.5, trimmedMean: 50, median: 50, scoredTexts: 500, truncatedTexts: 0 }, div: 0.9, mem: 0.1, unknownWordRate: 0.001, entropy: 3, meanWords: 40, count: 500 },
      pplRatio, notes: [],
    },
    ...(probe ? { snrProbe: { texts: 256, probes: [{ snr: 2, t: 0.05, dif: 0.1, acc: 0.97, accSc: 0.98 }, { snr: 0.05, t: 0.3, dif: 0.8, acc: 0.2, accSc: 0.25 }] } } : {}),
    notes: [], seconds: 10,
  };
}

test("quality-vs-compute: rows from eval results, merged by version and reference LM, written as JSON, markdown and a chart", async () => {
  const a = rowFromEval(result("1.1.0", 9.3, false), { trainingHours: 3.6, trainingFlops: null, recipe: "joint + frozen" });
  const b = rowFromEval(result("1.2.0", 4.1), { trainingHours: 5.5, trainingFlops: 1.2e16, recipe: "d 3, blocks" });
  assert.deepEqual(b.probe, { "2": [0.97, 0.98], "0.05": [0.2, 0.25] });
  assert.equal(a.probe, null);
  // A re-evaluated version replaces its row; rows are sorted by training hours.
  const again = rowFromEval(result("1.1.0", 8.8, false), { trainingHours: 3.6, trainingFlops: null, recipe: "joint + frozen" });
  const rows = mergeRows([b, a], [again]);
  assert.deepEqual(rows.map((r) => [r.version, r.pplRatio]), [["1.1.0", 8.8], ["1.2.0", 4.1]]);
  const md = reportMarkdown({ kind: "ldtext-quality-vs-compute", rows });
  assert.match(md, /\| m@1\.2\.0 \| 5\.50 \| 1\.20e\+16 \| d 3, blocks \| 4\.10 \| 227\.5 \/ 55\.5 \| 5\.00 % \|/);
  assert.match(md, /acc@SNR 2 \| acc@SNR 0\.05/);
  const dir = mkdtempSync(join(tmpdir(), "ldtext-qvc-"));
  await writeQualityReport(join(dir, "q"), { kind: "ldtext-quality-vs-compute", rows });
  for (const ext of ["json", "md", "svg", "png"]) assert.ok(existsSync(join(dir, `q.${ext}`)), `q.${ext} not written`);
  assert.deepEqual((await readQualityReport(join(dir, "q.json"))).rows.map((r) => r.version), ["1.1.0", "1.2.0"]);
  assert.match(readFileSync(join(dir, "q.svg"), "utf8"), /<svg/);
  assert.throws(() => rowFromEval({ ...result("x", 1), unconditional: undefined }, { trainingHours: 1, trainingFlops: null, recipe: "" }), /generate models/);
});
