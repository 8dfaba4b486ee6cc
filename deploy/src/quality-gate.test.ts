import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultFloors, parseFloors, type EvalEvidence } from "./floors.ts";
import { extractMetrics, formatGate, formatJudgement, GateInputError, judge, qualityGate } from "./quality-gate.ts";

describe("qualityGate", () => {
  const deployed = { mauve: 0.8, div: 0.5, mem: 0.2, rougeL: 0.3, samples: 1000 };

  test("passes equal or better scores and scores within tolerance", () => {
    const r = qualityGate({ mauve: 0.79, div: 0.55, mem: 0.202, rougeL: 0.3, samples: 10 }, deployed, { tolerance: 0.02 });
    assert.equal(r.pass, true, r.reason);
    assert.equal(r.verdicts.length, 4, "non-quality fields (samples) are not judged");
  });

  test("fails a metric worse beyond tolerance, in either direction of goodness", () => {
    const lowerMauve = qualityGate({ ...deployed, mauve: 0.7 }, deployed, { tolerance: 0.02 });
    assert.equal(lowerMauve.pass, false);
    assert.match(lowerMauve.reason, /mauve: 0.7 vs deployed 0.8 \(-12.50 %, higher is better\)/);
    const moreMemorised = qualityGate({ ...deployed, mem: 0.25 }, deployed, { tolerance: 0.02 });
    assert.equal(moreMemorised.pass, false);
    assert.match(moreMemorised.reason, /mem:/);
    assert.match(formatGate(moreMemorised), /WORSE/);
  });

  test("a metric the deployed model was judged on must be present", () => {
    const { mauve: _dropped, ...rest } = deployed;
    const r = qualityGate(rest, deployed, { tolerance: 0.5 });
    assert.equal(r.pass, false);
    assert.match(r.reason, /mauve: missing from the candidate/);
  });

  test("nothing comparable fails; bad tolerance is an input error; custom directions apply", () => {
    assert.equal(qualityGate({ a: 1 }, { b: 1 }, { tolerance: 0.1 }).pass, false);
    assert.throws(() => qualityGate({}, {}, { tolerance: -1 }), GateInputError);
    const r = qualityGate({ latency: 120 }, { latency: 100 }, { tolerance: 0.1, directions: { latency: "lower" } });
    assert.equal(r.pass, false);
  });

  test("extractMetrics reads `metrics` or top-level numbers and flattens nesting", () => {
    assert.deepEqual(extractMetrics({ metrics: { mauve: 0.5, rouge: { rougeL: 0.2 } }, name: "x" }), { mauve: 0.5, "rouge.rougeL": 0.2 });
    assert.deepEqual(extractMetrics({ mauve: 0.5, note: "n", bad: Number.NaN }), { mauve: 0.5 });
    assert.throws(() => extractMetrics([1]), GateInputError);
  });

  test("gates the quality metrics of npm run eval's result.json and ignores counts, timings and config", () => {
    const result = (mauve: number, rougeL: number, samples: number, seconds: number) => ({
      kind: "ldtext-eval",
      config: { samples, steps: 50 },
      sampling: { seconds, secondsPerSample: seconds / samples, samples },
      unconditional: { samples, meanWords: 20, ppl: { mean: 40, median: 35 }, mauve: { mauve, numBuckets: 50, pcaDims: 32, references: samples }, div: { div: 0.4, distinct: [{ n: 2, ratio: 0.9 }] }, mem: { mem: 0.1, found: 10, total: 100 } },
      summarization: { count: samples, rouge: { plain: { rougeL: { precision: 0.3, recall: 0.3, fmeasure: rougeL } }, stemmed: { rougeL: { precision: 0.3, recall: 0.3, fmeasure: rougeL } } }, bleu: { bleu: 0.05, brevityPenalty: 1 }, meteor: 0.2, bertScore: { f1: 0.8 } },
      seconds,
    });
    const deployed = extractMetrics(result(0.8, 0.3, 500, 100));
    const judged = qualityGate(extractMetrics(result(0.8, 0.3, 100, 900)), deployed, { tolerance: 0.02 });
    assert.equal(judged.pass, true, judged.reason);
    assert.deepEqual(judged.verdicts.map((v) => v.metric).sort(), [
      "summarization.bertScore.f1",
      "summarization.bleu.bleu",
      "summarization.meteor",
      "summarization.rouge.plain.rougeL.fmeasure",
      "summarization.rouge.stemmed.rougeL.fmeasure",
      "unconditional.div.div",
      "unconditional.mauve.mauve",
      "unconditional.mem.mem",
    ]);
    assert.equal(qualityGate(extractMetrics(result(0.7, 0.3, 500, 100)), deployed, { tolerance: 0.02 }).pass, false);
    assert.equal(qualityGate(extractMetrics(result(0.8, 0.25, 500, 100)), deployed, { tolerance: 0.02 }).pass, false);
  });

  test("Div and Mem are judged by their distance to real text's when the evaluation writes it, by direction when not", () => {
    // Numbers of rocstories-generate 1.2.0 (served) and the same model with clamp 0.5: fewer invented
    // words lower Div and raise Mem — towards the real stories' 0.593 / 0.241.
    const evalResult = (div: number, mem: number, withReference: boolean) => ({
      unconditional: { mauve: { mauve: 0.45 }, div: { div }, mem: { mem }, ...(withReference ? { referenceTexts: { div: 0.593, mem: 0.241, count: 500 } } : {}) },
    });
    const served = extractMetrics(evalResult(0.71, 0.036, true));
    const towardReal = qualityGate(extractMetrics(evalResult(0.506, 0.074, true)), served, { tolerance: 0.02 });
    assert.equal(towardReal.pass, true, towardReal.reason);
    const div = towardReal.verdicts.find((v) => v.metric === "unconditional.div.div")!;
    assert.equal(div.direction, "closer");
    assert.equal(div.reference, 0.593);
    assert.ok(Math.abs(div.relativeChange! - (0.117 - 0.087) / 0.593) < 1e-9);
    assert.equal(towardReal.verdicts.length, 3, "the reference values themselves are not judged");
    // Overshooting real text by more than the served model missed it by is worse.
    const collapsed = qualityGate(extractMetrics(evalResult(0.3, 0.036, true)), served, { tolerance: 0.02 });
    assert.equal(collapsed.pass, false);
    assert.match(collapsed.reason, /div\.div: 0\.3 vs deployed 0\.71 \(-[\d.]+ %, closer to real text's 0\.593 is better\)/);
    assert.match(formatGate(collapsed), /closer to real text's 0\.593 is better \| 0\.71 \| 0\.3 \| .* \| WORSE/);
    // Without the real texts' values (older evaluations): higher Div, lower Mem.
    const plain = qualityGate(extractMetrics(evalResult(0.506, 0.074, false)), extractMetrics(evalResult(0.71, 0.036, false)), { tolerance: 0.02 });
    assert.equal(plain.pass, false);
    assert.deepEqual(plain.verdicts.filter((v) => !v.pass).map((v) => `${v.metric} ${v.direction}`).sort(), ["unconditional.div.div higher", "unconditional.mem.mem lower"]);
    // An explicit direction for the metric wins over the reference.
    const forced = qualityGate(extractMetrics(evalResult(0.506, 0.074, true)), served, { tolerance: 0.02, directions: { "unconditional.div.div": "higher" } });
    assert.equal(forced.verdicts.find((v) => v.metric === "unconditional.div.div")!.direction, "higher");
  });
});

/** A generate evaluation (result.json + samples) as `npm run eval` writes it. */
function evaluation(texts: string[], div: number, mem = 0.05): EvalEvidence {
  return { task: "generate", samples: texts.map((text) => ({ text })), result: { kind: "ldtext-eval", artifact: { task: "generate" }, unconditional: { div: { div }, mem: { mem } } } };
}
const STORIES = ["the dog ran to the park", "she sold her old bike", "rain fell on the town all day", "he called his mother at noon"];

describe("judge: floors + comparison with what serves the task", () => {
  test("a first deployment with blank outputs is refused, however its metrics compare", () => {
    const j = judge({ candidate: evaluation(["  ", " ", "   ", ""], 0.9), floors: defaultFloors(), served: null, tolerance: 0.02 });
    assert.equal(j.pass, false);
    assert.equal(j.comparison, null);
    assert.match(j.reason, /nonEmpty 0 < min 0.95; distinct 0.25 < min 0.9/);
    const table = formatJudgement(j);
    assert.match(table, /First deployment/);
    assert.match(table, /\| floor: nonEmpty \| ≥ 0.95 \| \| 0 \| FAIL \(4 of 4 blank\) \|/);
    assert.match(table, /\*\*FAIL\*\*/);
  });

  test("a first deployment whose seeds all give the same text is refused", () => {
    const j = judge({ candidate: evaluation(Array(4).fill(STORIES[0]), 0.9), floors: defaultFloors(), served: null, tolerance: 0.02 });
    assert.equal(j.pass, false);
    assert.match(j.reason, /^distinct 0.25 < min 0.9$/);
  });

  test("a first deployment that holds every floor passes", () => {
    const j = judge({ candidate: evaluation(STORIES, 0.8), floors: defaultFloors(), served: null, tolerance: 0.02 });
    assert.equal(j.pass, true, j.reason);
    assert.match(j.reason, /first deployment/);
  });

  test("against the served model: floors and comparison both count, and the table names the served model", () => {
    const served = { label: "rocstories-generate@1.1.0", source: "evaluated now", metrics: extractMetrics({ unconditional: { div: { div: 0.8 }, mem: { mem: 0.03 } } }) };
    const worse = judge({ candidate: evaluation(STORIES, 0.5), floors: defaultFloors(), served, tolerance: 0.02 });
    assert.equal(worse.pass, false);
    assert.match(worse.reason, /vs rocstories-generate@1\.1\.0: unconditional\.div\.div: 0\.5 vs deployed 0\.8/);
    assert.match(formatJudgement(worse), /Compared with rocstories-generate@1\.1\.0 \(evaluated now\)[\s\S]*\| unconditional\.div\.div \| higher is better \| 0\.8 \| 0\.5 \| WORSE/);
    const better = judge({ candidate: evaluation(STORIES, 0.85, 0.02), floors: defaultFloors(), served, tolerance: 0.02 });
    assert.equal(better.pass, true, better.reason);
    // Better than a bad served model is not enough: the floors still hold.
    const badServed = { ...served, metrics: extractMetrics({ unconditional: { div: { div: 0.05 }, mem: { mem: 0.03 } } }) };
    const stillBad = judge({ candidate: evaluation(STORIES, 0.1, 0.02), floors: defaultFloors(), served: badServed, tolerance: 0.02 });
    assert.equal(stillBad.pass, false);
    assert.match(stillBad.reason, /^div 0\.1 < min 0\.3$/);
    assert.equal(judge({ candidate: evaluation(STORIES, 0.1, 0.02), floors: parseFloors(["div=0.05"]), served: badServed, tolerance: 0.02 }).pass, true);
  });
});

describe("quality-gate CLI", () => {
  const cli = new URL("./cli/quality-gate.ts", import.meta.url).pathname;
  const run = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", cli, ...args], { encoding: "utf8" });
  const writeEval = (dir: string, texts: string[], div: number) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "result.json"), JSON.stringify(evaluation(texts, div).result));
    writeFileSync(join(dir, "samples.jsonl"), texts.map((text, i) => JSON.stringify({ i, text })).join("\n") + "\n");
    return dir;
  };

  test("exit 0 on pass, 1 on worse, blank, or no baseline without --first-deployment, 2 on unreadable input; the table goes to --summary", () => {
    const dir = mkdtempSync(join(tmpdir(), "gate-"));
    try {
      const base = writeEval(join(dir, "served"), STORIES, 0.8);
      const good = writeEval(join(dir, "good"), STORIES, 0.81);
      const worse = writeEval(join(dir, "worse"), STORIES, 0.6);
      const blank = writeEval(join(dir, "blank"), [" ", " ", " ", " "], 0.9);
      const summary = join(dir, "summary.md");
      const ok = run(["--candidate", good, "--baseline", base, "--served-label", "stories@1", "--summary", summary]);
      assert.equal(ok.status, 0, ok.stderr);
      assert.equal(JSON.parse(ok.stdout).pass, true);
      assert.match(readFileSync(summary, "utf8"), /## Quality gate[\s\S]*Compared with stories@1[\s\S]*\*\*PASS\*\*/);
      const w = run(["--candidate", join(worse, "result.json"), "--baseline", join(base, "result.json")]);
      assert.equal(w.status, 1);
      assert.match(w.stderr, /\*\*FAIL\*\*: vs the served model: unconditional\.div\.div/);
      assert.equal(run(["--candidate", good, "--baseline", join(dir, "none")]).status, 1);
      assert.equal(run(["--candidate", good, "--first-deployment"]).status, 0);
      const b = run(["--candidate", blank, "--first-deployment", "--summary", summary]);
      assert.equal(b.status, 1, "a blank first deployment is refused");
      assert.match(b.stderr, /nonEmpty 0 < min 0\.95/);
      assert.match(readFileSync(summary, "utf8"), /First deployment[\s\S]*\*\*FAIL\*\*: nonEmpty/);
      assert.equal(run(["--candidate", blank, "--first-deployment", "--floor", "nonEmpty=off", "--floor", "distinct=off"]).status, 0);
      assert.equal(run(["--candidate", good, "--first-deployment", "--floor", "speed=1"]).status, 2);
      writeFileSync(join(dir, "broken.json"), "{");
      const broken = run(["--candidate", good, "--baseline", join(dir, "broken.json")]);
      assert.equal(broken.status, 2);
      assert.match(broken.stderr, /broken.json/);
      assert.equal(run(["--candidate", join(dir, "none")]).status, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
