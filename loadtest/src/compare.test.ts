// Side-by-side comparison of the two runners, the latency-vs-offered-rate plot series, the k6
// command line and the runners' refusal of bad plan flags.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { DEFAULT_THRESHOLDS, buildSummary, planScenarios, type Level, type Summary } from "../k6/lib/shared.js";
import { compareLevels, compareSummaries, comparisonMarkdown, TOLERANCE } from "./compare.ts";
import { k6Args } from "./k6-cli.ts";
import { latencySeries } from "./plot.ts";
import { levelFixture } from "./level-fixture.ts";

const level = (over: Partial<Level>): Level => levelFixture({ latencyMs: { p50: 500, p95: 900, p99: 1000, mean: 550, max: 1000 }, ...over });

function summary(tool: Summary["tool"], levels: Level[]): Summary {
  const planned = planScenarios("smoke", ["generate"], { steadyRates: [1, 2], rampRates: [8] });
  return buildSummary({ tool, target: "t", profile: "smoke", planned, seed: 1, startedAt: "x", durationSeconds: 1, levels, steadyLatencies: { generate: { p50: 1, p95: 2, p99: 3 } }, thresholds: DEFAULT_THRESHOLDS });
}

test("compareLevels: within the stated tolerance on sustained levels; past saturation only sustained-or-not", () => {
  assert.deepEqual(TOLERANCE, { achievedRel: 0.1, latencyRel: 0.35, latencyAbsMs: 100 });
  const a = level({});
  assert.equal(compareLevels(a, level({ achievedRps: 0.95, latencyMs: { p50: 600, p95: 1100, p99: 3000, mean: 1, max: 1 } }), DEFAULT_THRESHOLDS).agrees, true);
  const slower = compareLevels(a, level({ latencyMs: { p50: 900, p95: 1300, p99: 1400, mean: 1, max: 1 } }), DEFAULT_THRESHOLDS);
  assert.deepEqual([slower.latencyAgrees, slower.agrees], [false, false], "p50 500 vs 900 is 44 % apart");
  const small = compareLevels(level({ latencyMs: { p50: 20, p95: 40, p99: 50, mean: 1, max: 1 } }), level({ latencyMs: { p50: 90, p95: 120, p99: 130, mean: 1, max: 1 } }), DEFAULT_THRESHOLDS);
  assert.equal(small.latencyAgrees, true, "within 100 ms");
  const over = (p95: number, failed: number) => level({ rate: 8, offered: 80, sent: 80, failed, achievedRps: 3, latencyMs: { p50: 5000, p95, p99: p95, mean: 1, max: 1 } });
  const both = compareLevels(over(9000, 10), over(6000, 0), DEFAULT_THRESHOLDS);
  assert.deepEqual([both.sustained, both.latencyAgrees, both.agrees], [[false, false], null, true]);
  const one = compareLevels(level({ dropped: 1, offered: 10, sent: 9 }), a, DEFAULT_THRESHOLDS);
  assert.deepEqual([one.sustained, one.agrees], [[false, true], false]);
});

test("compareSummaries + markdown: per level, sustained rates side by side", () => {
  const k6 = summary("k6", [level({}), level({ key: "generate-steady-2", rate: 2, offered: 20, sent: 20, ok: 19, achievedRps: 1.9 })]);
  const node = summary("node", [level({ achievedRps: 0.98 }), level({ key: "generate-steady-2", rate: 2, offered: 20, sent: 20, achievedRps: 1.95 })]);
  const c = compareSummaries(k6, node);
  assert.equal(c.agrees, true);
  assert.deepEqual(c.sustainedRps, { generate: [2, 2] });
  const md = comparisonMarkdown(c, k6, node);
  assert.match(md, /\| generate-steady-2 \| 20 \| 20 \/ 20 \| 0 \/ 0 \| 0 \/ 0 \| 1\.90 \/ 1\.95 \|/);
  assert.match(md, /highest sustained rate 2 req\/s \(k6\) \/ 2 req\/s \(node\)/);
  assert.match(md, /Tolerance \(stated before the runs\): achieved within ±10 %/);
});

test("plot: latency against the offered rate, per route and percentile (and per tool when compared)", () => {
  const s = summary("k6", [level({}), level({ key: "generate-steady-2", rate: 2, achievedRps: 1.5 }), level({ key: "generate-ramp-8", rate: 8, sent: 0, latencyMs: { p50: null, p95: null, p99: null, mean: null, max: null } })]);
  const one = latencySeries([s]);
  assert.deepEqual(one.map((x) => x.name), ["generate p50", "generate p95", "generate p99"]);
  assert.deepEqual(one[1].points.map((p) => [p.x, p.y, p.label]), [[1, 900, "1.0/s"], [2, 900, "1.5/s"]]);
  const two = latencySeries([s, { ...s, tool: "node" }], { routes: ["generate"], percentiles: ["p50", "p95"] });
  assert.deepEqual(two.map((x) => x.name), ["k6 generate p50", "k6 generate p95", "node generate p50", "node generate p95"]);
  assert.deepEqual(latencySeries([s], { routes: ["summarize"] }), []);
});

test("k6 command line: quiet, no usage report, the plan as -e variables", () => {
  const args = k6Args("generate", { BASE_URL: "http://127.0.0.1:1", SEED: "5", STEPS: "10" });
  assert.deepEqual(args.slice(0, 3), ["run", "--quiet", "--no-usage-report"]);
  assert.deepEqual(args.slice(3, 9), ["-e", "BASE_URL=http://127.0.0.1:1", "-e", "SEED=5", "-e", "STEPS=10"]);
  assert.match(args[9], /loadtest\/k6\/generate\.js$/);
});

test("npm run loadtest refuses bad plan flags before anything starts", () => {
  const cli = new URL("./cli.ts", import.meta.url).pathname;
  for (const [flags, msg] of [[["--levels", "1,x"], /LEVELS/], [["--steps", "0"], /STEPS/], [["--levels", "400", "--timeout", "10"], /needs 4001 VUs/], [["--seed=-3"], /SEED/]] as const) {
    const r = spawnSync(process.execPath, ["--import", "tsx", cli, "--url", "http://127.0.0.1:9", "--profile", "smoke", ...flags], { encoding: "utf8" });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, msg);
  }
});
