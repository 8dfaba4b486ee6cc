import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import type { EvalResult } from "../run/evaluate.ts";
import type { DocumentDependence, Extractiveness, SummarizationMetrics } from "../features/index.ts";
import type { RougeScores } from "../metrics/index.ts";
import {
  anyRowFromEval,
  mergeRows,
  mergeSummaryRows,
  readQualityReport,
  reportMarkdown,
  rowFromEval,
  summaryRowFromEval,
  writeQualityReport,
  type QualityReport,
} from "./quality-vs-compute.ts";

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

function rouges(r1: number, r2: number, rl: number): RougeScores {
  const prf = (x: number) => ({ precision: x, recall: x, fmeasure: x });
  return { rouge1: prf(r1), rouge2: prf(r2), rougeL: prf(rl) };
}

function metrics(plain: RougeScores, stemmed: RougeScores): SummarizationMetrics {
  return {
    count: 200, rouge: { plain, stemmed },
    bleu: { bleu: 0.02, precisions: [0.3, 0.1, 0.03, 0.01], matches: [3, 1, 0, 0], totals: [10, 9, 8, 7], brevityPenalty: 1, candidateLength: 10, referenceLength: 10 },
    meteor: 0.15, notes: [], bertScore: { precision: 0.6, recall: 0.6, f1: 0.61, encoder: "reflm-xsum" },
  };
}

function dep(own: number, shuffled: number, similarity: number | null): DocumentDependence {
  const dependence = own - shuffled;
  return { rouge1: { own: own + 0.05, shuffled: shuffled + 0.05, dependence }, rougeL: { own, shuffled, dependence }, sharedSeedSimilarity: similarity, sharedSeedDocuments: similarity === null ? 0 : 12, verdict: dependence < 0.01 ? "ignores the document" : "reads the document" };
}

function copying(novelBigrams: number): Extractiveness {
  return { novelUnigrams: novelBigrams / 2, novelBigrams, leadRougeL: 1 - novelBigrams, summaries: 200 };
}

function summaryResult(version: string, guidance: number, rougeL: number, rougeLPlain: number, reads: boolean): EvalResult {
  return {
    kind: "ldtext-eval", version: 1, createdAt: "2026-12-05T00:00:00.000Z",
    config: { artifact: `models/s/${version}`, data: "xsum", samples: 200, steps: 50, sampler: "ddim", seed: 0, guidance, split: "test", batchSize: 32, references: 200, reflm: "runs/reflm/xsum", denoiser: "fp32" },
    artifact: { id: "xsum-summarize", version, task: "summarize", maxLen: 32, norm: "data", trainingSteps: 6000, command: "npm run train -- --task summarize" },
    reflm: { id: "reflm-xsum", trainedOn: "xsum-summaries", steps: 1000 },
    sampling: { seconds: 20, secondsPerSample: 0.1, samples: 200 },
    summarization: metrics(rouges(0.3, 0.09, rougeLPlain), rouges(0.32, 0.1, rougeL)),
    lead1: metrics(rouges(0.2, 0.03, 0.15), rouges(0.21, 0.035, 0.16)),
    dependence: { model: reads ? dep(rougeL, rougeL - 0.125, 0.375) : dep(rougeL, rougeL - 0.005, 0.875), lead1: dep(0.25, 0.15625, null) },
    extractiveness: { model: copying(reads ? 0.75 : 0.975), reference: copying(0.8125), lead1: copying(0) },
    notes: [], seconds: 60,
  };
}

test("quality-vs-compute: summarizer rows (stemmed ROUGE, lead-1, dependence, verdict), merged by version, guidance and candidates, in their own table", async () => {
  const compute = { trainingHours: 2.5, trainingFlops: 3e15, recipe: "cond-from gen, 6,000 steps", cpu: "2 × test" };
  const s = summaryRowFromEval(summaryResult("1.0.0", 1, 0.25, 0.24, true), compute);
  assert.deepEqual(s, {
    task: "summarize", model: "xsum-summarize", version: "1.0.0", guidance: 1, reflm: "reflm-xsum",
    trainingHours: 2.5, trainingFlops: 3e15, recipe: "cond-from gen, 6,000 steps", cpu: "2 × test", data: "xsum/test", samples: 200, steps: 50,
    rouge1: 0.32, rouge2: 0.1, rougeL: 0.25, rougeLPlain: 0.24, lead1RougeL: 0.16,
    rougeLDependence: 0.125, lead1RougeLDependence: 0.09375, sharedSeedSimilarity: 0.375, verdict: "reads the document",
    novelBigrams: 0.75, referenceNovelBigrams: 0.8125, bertScoreF1: 0.61, evaluatedAt: "2026-12-05T00:00:00.000Z",
  });
  // The task picks the kind; each builder refuses the other task's result.
  assert.equal(anyRowFromEval(summaryResult("1.0.0", 1, 0.25, 0.24, true), compute).task, "summarize");
  assert.equal(anyRowFromEval(result("1.2.0", 4.1), compute).task, undefined);
  assert.throws(() => rowFromEval(summaryResult("1.0.0", 1, 0.25, 0.24, true), compute), /generate models/);
  assert.throws(() => summaryRowFromEval(result("1.2.0", 4.1), compute), /summarize models/);
  // Without a dependence measurement (one sample) the verdict is unknown, not guessed.
  const noDep = summaryRowFromEval({ ...summaryResult("0.9.0", 0, 0.2, 0.19, true), dependence: undefined, lead1: undefined, extractiveness: undefined }, { ...compute, trainingHours: 1 });
  assert.deepEqual([noDep.rougeLDependence, noDep.lead1RougeL, noDep.sharedSeedSimilarity, noDep.verdict, noDep.novelBigrams], [null, null, null, null, null]);

  // Same version and guidance: replaced; another guidance: its own row.
  const ignores = summaryRowFromEval(summaryResult("1.0.0", 1, 0.2, 0.19, false), compute);
  const g2 = summaryRowFromEval(summaryResult("1.0.0", 2, 0.27, 0.26, true), compute);
  // The same guidance with summaries chosen among 4 samples: its own row, after the plain one.
  const k4Result = summaryResult("1.0.0", 2, 0.29, 0.28, true);
  const k4 = summaryRowFromEval({ ...k4Result, config: { ...k4Result.config, candidates: 4 } }, compute);
  assert.equal(k4.candidates, 4);
  assert.equal(g2.candidates, undefined);
  const sum = mergeSummaryRows([s, noDep], [ignores, k4, g2]);
  assert.deepEqual(sum.map((r) => [r.version, r.guidance, r.candidates ?? 1, r.verdict]), [["0.9.0", 0, 1, null], ["1.0.0", 1, 1, "ignores the document"], ["1.0.0", 2, 1, "reads the document"], ["1.0.0", 2, 4, "reads the document"]]);

  const gen = [rowFromEval(result("1.2.0", 4.1), { trainingHours: 5.5, trainingFlops: 1.2e16, recipe: "d 3, blocks" })];
  const md = reportMarkdown({ kind: "ldtext-quality-vs-compute", rows: gen, summarizers: sum });
  // The generate table is as before, the summarizer table comes after it and the chart.
  assert.match(md, /\| m@1\.2\.0 \| 5\.50 \| 1\.20e\+16 \| d 3, blocks \| 4\.10 \| 227\.5 \/ 55\.5 \| 5\.00 % \|/);
  assert.equal(md.slice(0, md.indexOf("## Summarizers")), `${reportMarkdown({ kind: "ldtext-quality-vs-compute", rows: gen })}\n`);
  assert.match(md, /## Summarizers/);
  assert.match(md, /\| model \| hours \| FLOPs \| recipe \| samples \| steps \| guidance \| candidates \| R-1 \| R-2 \| R-L \| R-L \(plain\) \| lead-1 R-L \| R-L dependence \| lead-1 dependence \| shared-seed similarity \| novel word pairs \| verdict \|/);
  assert.match(md, /\| xsum-summarize@1\.0\.0 \| 2\.50 \| 3\.00e\+15 \| cond-from gen, 6,000 steps \| 200 \| 50 \| 2 \| 1 \| 0\.320 \| 0\.100 \| 0\.270 \| 0\.260 \| 0\.160 \| 0\.125 \| 0\.094 \| 0\.375 \| 75\.0 % \/ 81\.3 % \| reads the document \|/);
  assert.match(md, /\| xsum-summarize@1\.0\.0 \| 2\.50 \| 3\.00e\+15 \| [^|]+ \| 200 \| 50 \| 1 \| 1 \| 0\.320 \| 0\.100 \| 0\.200 \| 0\.190 \| 0\.160 \| 0\.005 \| 0\.094 \| 0\.875 \| 97\.5 % \/ 81\.3 % \| ignores the document \|/);
  assert.match(md, /\| xsum-summarize@0\.9\.0 \| 1\.00 \| [^|]+ \| [^|]+ \| 200 \| 50 \| 0 \| 1 \| 0\.320 \| 0\.100 \| 0\.200 \| 0\.190 \| – \| – \| – \| – \| – \| – \|/);
  assert.match(md, /\| xsum-summarize@1\.0\.0 \| 2\.50 \| [^|]+ \| [^|]+ \| 200 \| 50 \| 2 \| 4 \| 0\.320 \| 0\.100 \| 0\.290 \|/);
  assert.doesNotMatch(reportMarkdown({ kind: "ldtext-quality-vs-compute", rows: gen }), /Summarizers/);

  // An old report (generate rows only, no task fields, no summarizers) loads, takes summarizer rows and keeps both.
  const dir = mkdtempSync(join(tmpdir(), "ldtext-qvc-sum-"));
  const old = { kind: "ldtext-quality-vs-compute", rows: gen.map((r) => ({ ...r })) };
  assert.ok(!("task" in old.rows[0]));
  writeFileSync(join(dir, "q.json"), JSON.stringify(old));
  const loaded = await readQualityReport(join(dir, "q.json"));
  assert.deepEqual(loaded, { ...old, summarizers: [] });
  const next: QualityReport = { ...loaded, summarizers: mergeSummaryRows(loaded.summarizers ?? [], sum) };
  await writeQualityReport(join(dir, "q"), next);
  const back = await readQualityReport(join(dir, "q.json"));
  assert.deepEqual(back.rows.map((r) => r.version), ["1.2.0"]);
  assert.deepEqual(back.summarizers?.map((r) => [r.version, r.guidance, r.candidates ?? 1]), [["0.9.0", 0, 1], ["1.0.0", 1, 1], ["1.0.0", 2, 1], ["1.0.0", 2, 4]]);
  assert.match(readFileSync(join(dir, "q.md"), "utf8"), /## Summarizers[\s\S]*xsum-summarize@1\.0\.0/);
  // The committed report (written before summarizer rows) still reads.
  const committed = await readQualityReport(new URL("../../../reports/quality-vs-compute.json", import.meta.url).pathname);
  assert.ok(committed.rows.length > 0 && committed.rows.every((r) => r.task === undefined && typeof r.pplRatio === "number"));
  assert.ok(Array.isArray(committed.summarizers));
});
