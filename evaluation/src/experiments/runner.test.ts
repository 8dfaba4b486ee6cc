// Smoke test of the experiment runner at --scale tiny on made-up corpora (DATA_DIR), no ../shared.
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCheckpoint } from "@ldtext/core";
import { runExperiment } from "./run.ts";
import { parseExperimentArgs } from "./cli.ts";
import { type ExperimentReport, verdictCounts } from "./report.ts";
import { shippedGenerateModel } from "./experiments.ts";

const WHO = ["Anna", "Ben", "Cleo", "Dan", "Eve", "Finn"];
const DID = ["found", "lost", "painted", "sold", "bought"];
const WHAT = ["a red kite", "the old map", "a small boat", "two books"];
const sentence = (i: number) => `${WHO[i % 6]} ${DID[(i >> 1) % 5]} ${WHAT[(i >> 2) % 4]}.`;
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

function makeData(root: string): void {
  for (const name of ["wikipedia", "rocstories", "xsum"]) mkdirSync(join(root, name), { recursive: true });
  const texts = (n: number, off: number) => Array.from({ length: n }, (_, i) => ({ text: `${sentence(i + off)} ${sentence(i + off + 7)}` }));
  for (const name of ["wikipedia", "rocstories"]) {
    writeFileSync(join(root, name, "train.jsonl"), jsonl(texts(120, 0)));
    writeFileSync(join(root, name, "validation.jsonl"), jsonl(texts(16, 200)));
    writeFileSync(join(root, name, "test.jsonl"), jsonl(texts(16, 300)));
  }
  const pairs = (n: number, off: number) => Array.from({ length: n }, (_, i) => ({ document: `${sentence(i + off)} ${sentence(i + off + 3)} ${sentence(i + off + 5)}`, summary: sentence(i + off), id: String(i + off) }));
  writeFileSync(join(root, "xsum", "train_superni.jsonl"), jsonl(pairs(80, 0)));
  writeFileSync(join(root, "xsum", "validation.jsonl"), jsonl(pairs(16, 200)));
  writeFileSync(join(root, "xsum", "test.jsonl"), jsonl(pairs(16, 300)));
}

describe("npm run experiment --scale tiny", () => {
  let root = "";
  let work = "";
  let reports = "";
  before(() => {
    root = mkdtempSync(join(tmpdir(), "ldtext-exp-"));
    makeData(join(root, "data"));
    process.env.DATA_DIR = join(root, "data");
    work = join(root, "work");
    reports = join(root, "reports");
  });

  test("table1 writes its report next to the preprint's numbers; a rerun skips every finished piece", async () => {
    const r = await runExperiment({ name: "table1", scale: "tiny", workDir: work, reportsDir: reports, progress: false });
    assert.equal(r.results.length, 2);
    assert.equal(r.table.rows.length, 3, "two α rows and the test texts' own scores");
    assert.equal(r.table.rows[2][0], "test texts (reference)");
    assert.deepEqual(r.table.columns.slice(0, 3), ["α", "PPL", "PPL 5–95 %"]);
    assert.equal(r.preprint!.rows.length, 2);
    const onDisk = JSON.parse(readFileSync(join(reports, "table1.json"), "utf8")) as ExperimentReport;
    assert.equal(onDisk.scale, "tiny");
    assert.deepEqual(onDisk.plots.filter((p) => p.endsWith(".svg")), ["table1-val-dif.svg", "table1-val-ce.svg"]);
    assert.ok(existsSync(join(reports, "table1-val-dif.svg")));
    const md = readFileSync(join(reports, "table1.md"), "utf8");
    assert.match(md, /## The preprint/);
    assert.match(md, /293\.9/);
    assert.match(readFileSync(join(reports, "README.md"), "utf8"), /\[table1\.md\]\(table1\.md\)[\s\S]*not run yet: `npm run experiment -- table2 --scale cpu`/);
    const result = join(work, "runs", "wikipedia-c1-data-a0.01-L8-s8b8", "eval", "ddim-s3-n12", "result.json");
    const trained = join(work, "runs", "wikipedia-c1-data-a0.01-L8-s8b8", "train", "summary.json");
    const before = [statSync(result).mtimeMs, statSync(trained).mtimeMs];
    const again = await runExperiment({ name: "table1", scale: "tiny", workDir: work, reportsDir: reports, progress: false });
    assert.deepEqual([statSync(result).mtimeMs, statSync(trained).mtimeMs], before, "nothing was retrained or re-evaluated");
    assert.deepEqual(again.results, r.results);
  });

  test("fig1 plots the validation diffusion loss of both corpora", async () => {
    const r = await runExperiment({ name: "fig1", scale: "tiny", workDir: work, reportsDir: reports, progress: false });
    assert.equal(r.results.length, 2);
    assert.ok(r.plots.includes("fig1-val-dif.svg"));
    assert.ok(existsSync(join(reports, "fig1-val-dif.svg")));
    const curve = (r.results[0] as { curve: unknown[] }).curve;
    assert.equal(curve.length, 2, "val every 4 of 8 steps");
    // 8 steps × 8 texts of a 200-text corpus: no full pass, so over-fitting cannot be judged.
    assert.equal((r.results[0] as { epochs: number | null }).epochs, 0);
    assert.match(r.reading[0], /could not be checked\*\* — the run completed no full pass/);
  });

  test("table4 trains configurations 1/2/3 and the two-stage baseline on pairs and scores ROUGE/BERTScore", async () => {
    const r = await runExperiment({ name: "table4", scale: "tiny", workDir: work, reportsDir: reports, progress: false });
    assert.equal(r.results.length, 5, "four models and the lead-1 baseline");
    assert.equal((r.results[4] as { config: string }).config, "lead-1 (no model)");
    assert.match(readFileSync(join(reports, "table4.md"), "utf8"), /\| lead-1 \(first sentence of the document, no model\) \|/);
    // The two-stage baseline: two trainer runs; stage 2 trains Dif and CondEnc on stage 1's frozen EMA autoencoder.
    const twoStage = join(work, "runs", "sum-xsum-2stage-data-a0.01-L12-s8b8");
    const [s1, s2] = [await loadCheckpoint(join(twoStage, "stage1")), await loadCheckpoint(join(twoStage, "train"))];
    assert.deepEqual([s1.step, s2.step], [4, 4], "stage 1 (4 steps) + stage 2 (4 steps) = the joint runs' budget");
    const tc = s2.trainConfig;
    assert.deepEqual([tc.initFrom, tc.initWeights, tc.freezeAe, tc.adaptiveT, tc.warmupSteps], [join(twoStage, "stage1"), "ema", true, false, 1]);
    const same = (x: Float32Array, y: Float32Array) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
    const moved = (net: string) => [...s2.weights].filter(([n, w]) => n.startsWith(`${net}.`) && !same(w.data, s1.ema!.get(n)!.data)).length;
    assert.deepEqual([moved("enc"), moved("dec")], [0, 0], "the autoencoder is stage 1's EMA weights, frozen");
    assert.ok(moved("dif") > 0 && moved("cond") > 0, "stage 2 trains Dif and CondEnc");
    const manifest = JSON.parse(readFileSync(join(twoStage, "artifact", "manifest.json"), "utf8")) as { training: { steps: number; command: string } };
    assert.equal(manifest.training.steps, 8, "the artifact records both stages' steps");
    for (const arg of [/--init-from \S+stage1 /, / --init-weights ema /, / --freeze-ae /, / --no-adaptive-t /]) assert.match(manifest.training.command, arg);
    // An interrupted stage 2 resumes from its own checkpoint (not --init-from again); a stage 2 that the
    // hand-written loop before the trainer finished (summary.json without `stopped`) is kept as it is.
    const summary2 = join(twoStage, "train", "summary.json");
    rmSync(summary2);
    await runExperiment({ name: "table4", scale: "tiny", workDir: work, reportsDir: reports, progress: false });
    assert.equal((JSON.parse(readFileSync(summary2, "utf8")) as { stopped: string }).stopped, "done");
    assert.equal((await loadCheckpoint(join(twoStage, "train"))).step, 4);
    const legacy = JSON.stringify({ steps: 4, lastDif: 0.5, from: join(twoStage, "stage1") });
    writeFileSync(summary2, legacy);
    await runExperiment({ name: "table4", scale: "tiny", workDir: work, reportsDir: reports, progress: false });
    assert.equal(readFileSync(summary2, "utf8"), legacy);
    assert.ok(r.plots.includes("table4-val-dif.svg"));
    const sumArtifact = join(work, "runs", "sum-xsum-c1-data-a0.01-L12-s8b8", "artifact");
    await assert.rejects(runExperiment({ name: "steps", scale: "tiny", workDir: work, reportsDir: reports, artifact: sumArtifact, progress: false }), /a summarize model; the steps experiment sweeps a generate model/);
    for (const row of r.results as { rougeL: number; bertScore: number | null }[]) {
      assert.ok(row.rougeL >= 0 && row.rougeL <= 1);
      assert.ok(row.bertScore !== null);
    }
  });

  test("the steps experiment finds the shipped generate model as models/<id>/<version>, newest version", async () => {
    const root = mkdtempSync(join(tmpdir(), "ldtext-models-"));
    const put = (dir: string, task: string) => {
      mkdirSync(join(root, dir), { recursive: true });
      writeFileSync(join(root, dir, "manifest.json"), JSON.stringify({ task }));
    };
    assert.equal(await shippedGenerateModel(root), null);
    put("a-summarize/1.0.0", "summarize");
    put("b-generate/1.2.0", "generate");
    put("b-generate/1.10.0", "generate");
    assert.equal(await shippedGenerateModel(root), join(root, "b-generate", "1.10.0"));
    assert.equal(await shippedGenerateModel(join(root, "missing")), null);
  });

  test("the index counts each report's verdicts", () => {
    assert.equal(verdictCounts(["a: **held**.", "b: **did not hold**.", "c: **held**.", "d: **could not be checked** (x).", "no verdict"]), "2 held · 1 did not hold · 1 could not be checked");
    assert.equal(verdictCounts(["plain text"]), "–");
  });

  test("CLI arguments", () => {
    assert.deepEqual(parseExperimentArgs(["table2", "--scale", "tiny"]).names, ["table2"]);
    assert.equal(parseExperimentArgs(["all"]).names.length, 6);
    assert.equal(parseExperimentArgs(["steps"]).scale, "cpu");
    assert.deepEqual(parseExperimentArgs(["table3", "--steps", "500", "--samples", "200"]).overrides, { steps: 500, samples: 200 });
    assert.throws(() => parseExperimentArgs(["table3", "--steps", "0"]), /--steps needs a positive integer/);
    assert.throws(() => parseExperimentArgs(["table9"]), /unknown experiment/);
    assert.throws(() => parseExperimentArgs(["table1", "--scale", "gpu"]), /--scale must be tiny or cpu/);
  });
});
