// The pieces of the load test that need no server: plan, bodies, thresholds, summary shape, k6
// options and the k6 → summary conversion.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_THRESHOLDS,
  buildSummary,
  evaluateThresholds,
  findSaturation,
  formatSummaryText,
  k6Options,
  levelsOf,
  makeBody,
  makeRng,
  percentile,
  planScenarios,
  rampLevel,
  summaryFromK6,
  type Level,
  type RampScenario,
} from "../k6/lib/shared.js";
import { loadDocuments } from "./fixtures.ts";
import { checkBudget, BudgetError } from "./run-loadtest.ts";
import { levelFrom } from "./levels.ts";

const level = (over: Partial<Level>): Level => ({
  key: "generate-steady-1",
  route: "generate",
  load: "steady",
  rate: 1,
  seconds: 10,
  requests: 10,
  failed: 0,
  throughputRps: 1,
  latencyMs: { p50: 10, p95: 20, p99: 30, mean: 12, max: 31 },
  ...over,
});

describe("plan", () => {
  test("steady levels then a staircase ramp per route, back to back", () => {
    const p = planScenarios("default", ["generate", "summarize"]);
    const gen = p.plan.filter((s) => s.route === "generate");
    assert.deepEqual(gen.map((s) => s.name), ["generate_steady_1rps", "generate_steady_2rps", "generate_steady_4rps", "generate_steady_8rps", "generate_ramp"]);
    for (let i = 1; i < p.plan.length; i++) assert.equal(p.plan[i].startSeconds, p.plan[i - 1].startSeconds + p.plan[i - 1].seconds);
    assert.equal(p.totalSeconds, 2 * (4 * 20 + 6 * 10));
    const ramp = gen[4] as RampScenario;
    assert.equal(rampLevel(ramp, 0), 1);
    assert.equal(rampLevel(ramp, 25), 4);
    assert.equal(rampLevel(ramp, 1e9), 32);
    assert.throws(() => planScenarios("nope", ["generate"]), /unknown profile/);
    assert.throws(() => planScenarios("smoke", ["stream"]), /unknown route/);
  });

  test("k6 options: executors, per-route p95/p99 thresholds on steady load, per-level submetrics", () => {
    const p = planScenarios("smoke", ["generate", "summarize"]);
    const o = k6Options(p, DEFAULT_THRESHOLDS, "run") as { scenarios: Record<string, { executor: string; startTime: string; stages?: unknown[] }>; thresholds: Record<string, string[]>; summaryTrendStats: string[] };
    assert.equal(o.scenarios.generate_steady_2rps.executor, "constant-arrival-rate");
    assert.equal(o.scenarios.generate_ramp.executor, "ramping-arrival-rate");
    assert.equal(o.scenarios.summarize_steady_2rps.startTime, `${3 + 2}s`);
    assert.deepEqual(o.thresholds["http_req_failed{load:steady}"], ["rate<0.01"]);
    assert.deepEqual(o.thresholds["http_req_duration{route:generate,load:steady}"], ["p(95)<2000", "p(99)<5000"]);
    assert.deepEqual(o.thresholds["http_req_duration{route:summarize,load:steady}"], ["p(95)<4000", "p(99)<8000"]);
    for (const l of levelsOf(p)) assert.ok(o.thresholds[`http_reqs{level:${l.key}}`], l.key);
    assert.ok(o.summaryTrendStats.includes("p(99)"));
  });

  test("budget: plans over the time or request limit are refused before anything is sent", () => {
    assert.equal(checkBudget("smoke", ["generate"], 60, 100).requests, 2 * 3 + 1 * 1 + 4 * 1);
    assert.throws(() => checkBudget("default", ["generate", "summarize"], 60, 1e6), BudgetError);
    assert.throws(() => checkBudget("default", ["generate"], 1e6, 100), /over --max-requests 100/);
  });
});

describe("bodies", () => {
  const docs = loadDocuments();
  test("the committed XSum sample has 20 documents", () => {
    assert.equal(docs.length, 20);
    assert.ok(docs.every((d) => d.length > 200));
  });

  test("seeded, valid and varied", () => {
    const a = makeRng(42);
    const b = makeRng(42);
    const bodiesA = Array.from({ length: 200 }, () => makeBody("summarize", a, docs));
    const bodiesB = Array.from({ length: 200 }, () => makeBody("summarize", b, docs));
    assert.deepEqual(bodiesA, bodiesB);
    for (const body of bodiesA) {
      assert.ok([10, 25, 50].includes(body.steps));
      assert.ok(["ddim", "sde", "ode"].includes(body.sampler));
      assert.ok(Number.isInteger(body.seed) && body.seed >= 0 && body.seed < 2 ** 31);
      assert.ok(docs.includes(body.document));
      assert.ok([0, 1.5].includes(body.guidance));
    }
    assert.ok(new Set(bodiesA.map((x) => x.document)).size > 10);
    const gen = Array.from({ length: 200 }, () => makeBody("generate", a));
    assert.deepEqual([...new Set(gen.map((g) => g.n))].sort(), [1, 2, 4]);
    assert.throws(() => makeBody("summarize", a, []), /need documents/);
  });
});

describe("thresholds and summary", () => {
  test("percentile is nearest-rank", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(xs, 95), 95);
    assert.equal(percentile(xs, 99), 99);
    assert.equal(percentile([5], 50), 5);
    assert.equal(percentile([], 50), null);
  });

  test("evaluateThresholds fails on error rate, on p95/p99 per route, and on zero requests", () => {
    const ok = { generate: { steady: { requests: 100, failed: 0, latencyMs: { p50: 10, p95: 100, p99: 200 } } } };
    assert.ok(evaluateThresholds(ok, DEFAULT_THRESHOLDS).every((r) => r.pass));
    const errors = evaluateThresholds({ generate: { steady: { ...ok.generate.steady, failed: 2 } } }, DEFAULT_THRESHOLDS);
    assert.equal(errors.find((r) => r.name === "http_req_failed")!.pass, false);
    const slow = evaluateThresholds({ generate: { steady: { ...ok.generate.steady, latencyMs: { p50: 10, p95: 2500, p99: 2600 } } } }, DEFAULT_THRESHOLDS);
    assert.deepEqual(slow.filter((r) => !r.pass).map((r) => r.condition), ["p95<2000"]);
    const none = evaluateThresholds({ generate: { steady: { requests: 0, failed: 0, latencyMs: { p50: null, p95: null, p99: null } } } }, DEFAULT_THRESHOLDS);
    assert.equal(none.every((r) => !r.pass), true);
  });

  test("saturation: the highest offered rate that met the thresholds", () => {
    const levels = [
      level({ key: "generate-ramp-1", load: "ramp", rate: 1, throughputRps: 1 }),
      level({ key: "generate-ramp-2", load: "ramp", rate: 2, throughputRps: 2 }),
      level({ key: "generate-ramp-4", load: "ramp", rate: 4, throughputRps: 2.5, latencyMs: { p50: 900, p95: 3000, p99: 4000, mean: 1, max: 1 } }),
      level({ key: "generate-ramp-8", load: "ramp", rate: 8, throughputRps: 2.4, failed: 5 }),
    ];
    assert.deepEqual(findSaturation(levels, DEFAULT_THRESHOLDS), { generate: { sustainedRps: 2, peakThroughputRps: 2.5 } });
  });

  test("buildSummary has the documented shape and a readable text form", () => {
    const s = buildSummary({
      tool: "autocannon",
      target: "http://127.0.0.1:1",
      profile: "smoke",
      startedAt: "2026-01-01T00:00:00.000Z",
      durationSeconds: 10,
      levels: [level({}), level({ key: "generate-steady-2", rate: 2, failed: 1, requests: 20 })],
      steadyLatencies: { generate: { p50: 10, p95: 20, p99: 30 } },
      thresholds: DEFAULT_THRESHOLDS,
    });
    assert.deepEqual(Object.keys(s).sort(), ["durationSeconds", "levels", "pass", "profile", "routes", "saturation", "schema", "startedAt", "target", "thresholds", "tool"]);
    assert.equal(s.routes.generate!.steady.requests, 30);
    assert.equal(s.routes.generate!.steady.failed, 1);
    assert.equal(s.pass, false, "1/30 failed is over 1 %");
    const text = formatSummaryText(s);
    assert.match(text, /✗ http_req_failed rate<0.01 \(value 3.33 %\)/);
    assert.match(text, /✓ http_req_duration\{route:generate\} p95<2000/);
    assert.match(text, /FAIL/);
  });

  test("levelFrom: percentiles, throughput of successes, failures", () => {
    const l = levelFrom({ key: "k", route: "generate", load: "steady", rate: 2, seconds: 5 }, [30, 10, 20, 40], 1, 2);
    assert.equal(l.requests, 4);
    assert.equal(l.throughputRps, 1.5);
    assert.deepEqual(l.latencyMs, { p50: 20, p95: 40, p99: 40, mean: 25, max: 40 });
  });

  test("summaryFromK6 reads k6's handleSummary data into the same shape", () => {
    const p = planScenarios("smoke", ["generate"]);
    const trend = (p50: number, p95: number) => ({ values: { "p(50)": p50, "p(95)": p95, "p(99)": p95 + 1, avg: p50, max: p95 + 2, med: p50 } });
    const data = {
      state: { testRunDurationMs: 5000 },
      metrics: {
        "http_req_duration{level:generate-steady-2}": trend(50, 90),
        "http_reqs{level:generate-steady-2}": { values: { count: 6 } },
        "http_req_failed{level:generate-steady-2}": { values: { rate: 0 } },
        "http_req_duration{level:generate-ramp-4}": trend(70, 300),
        "http_reqs{level:generate-ramp-4}": { values: { count: 4 } },
        "http_req_failed{level:generate-ramp-4}": { values: { rate: 0.25 } },
        "http_req_duration{route:generate,load:steady}": trend(50, 90),
      },
    };
    const s = summaryFromK6(data, p, { target: "http://127.0.0.1:8080", profile: "smoke", startedAt: "x", thresholds: DEFAULT_THRESHOLDS });
    assert.equal(s.tool, "k6");
    assert.equal(s.durationSeconds, 5);
    assert.deepEqual(s.levels.map((l) => [l.key, l.requests, l.failed]), [["generate-steady-2", 6, 0], ["generate-ramp-1", 0, 0], ["generate-ramp-4", 4, 1]]);
    assert.equal(s.routes.generate!.steady.latencyMs.p95, 90);
    assert.equal(s.pass, true);
    assert.deepEqual(s.saturation.generate, { sustainedRps: 2, peakThroughputRps: 3 }, "throughput counts successes only");
  });
});
