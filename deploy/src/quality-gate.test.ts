import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extractMetrics, formatGate, GateInputError, qualityGate } from "./quality-gate.ts";

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
});

describe("quality-gate CLI", () => {
  const cli = new URL("./cli/quality-gate.ts", import.meta.url).pathname;
  const run = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", cli, ...args], { encoding: "utf8" });

  test("exit 0 on pass, 1 on worse or missing baseline, 2 on unreadable input", () => {
    const dir = mkdtempSync(join(tmpdir(), "gate-"));
    try {
      const base = join(dir, "base.json");
      const good = join(dir, "good.json");
      const bad = join(dir, "bad.json");
      writeFileSync(base, JSON.stringify({ metrics: { mauve: 0.8, mem: 0.1 } }));
      writeFileSync(good, JSON.stringify({ metrics: { mauve: 0.81, mem: 0.1 } }));
      writeFileSync(bad, JSON.stringify({ metrics: { mauve: 0.6, mem: 0.1 } }));
      const ok = run(["--candidate", good, "--baseline", base]);
      assert.equal(ok.status, 0, ok.stderr);
      assert.equal(JSON.parse(ok.stdout).pass, true);
      const worse = run(["--candidate", bad, "--baseline", base]);
      assert.equal(worse.status, 1);
      assert.match(worse.stderr, /FAIL: mauve/);
      assert.equal(run(["--candidate", good, "--baseline", join(dir, "none.json")]).status, 1);
      assert.equal(run(["--candidate", good, "--baseline", join(dir, "none.json"), "--allow-missing-baseline"]).status, 0);
      writeFileSync(join(dir, "broken.json"), "{");
      const broken = run(["--candidate", join(dir, "broken.json"), "--baseline", base]);
      assert.equal(broken.status, 2);
      assert.match(broken.stderr, /broken.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
