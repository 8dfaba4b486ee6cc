// The pieces of the load test that need no server: plan, bodies, seeds, checks, thresholds, the
// summary shape and the k6 → summary conversion.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_THRESHOLDS,
  buildSummary,
  evaluateThresholds,
  findSaturation,
  formatSummaryText,
  inspectResponse,
  k6Options,
  levelFromRecords,
  makeBody,
  makeRng,
  mergeSummaries,
  overridesFromEnv,
  percentile,
  planScenarios,
  runSeed,
  summaryFromK6,
  thresholdSpecs,
  requestRng,
  vusFor,
  type LevelScenario,
  type ResponseRecord,
} from "../k6/lib/shared.js";
import { loadDocuments } from "./fixtures.ts";
import { checkBudget, BudgetError } from "./run-loadtest.ts";
import { planEnv } from "./run-options.ts";
import { levelFixture } from "./level-fixture.ts";

const level = levelFixture;

describe("plan", () => {
  test("per route: steady then ramp levels, each its own scenario, a drain gap between, VUs by Little's law", () => {
    const p = planScenarios("default", ["generate", "summarize"]);
    const gen = p.plan.filter((s) => s.route === "generate");
    assert.deepEqual(gen.map((s) => s.name), ["generate_steady_1rps", "generate_steady_2rps", "generate_steady_4rps", "generate_steady_8rps", "generate_ramp_16rps", "generate_ramp_32rps"]);
    for (let i = 1; i < p.plan.length; i++) assert.equal(p.plan[i].startSeconds, p.plan[i - 1].startSeconds + p.plan[i - 1].seconds + 10);
    assert.deepEqual(gen.map((s) => s.vus), [11, 21, 41, 81, 161, 321]);
    assert.equal(p.totalSeconds, 2 * (4 * 20 + 2 * 10) + 11 * 10 + 10, "levels + 11 drains + the last level's timeout");
    assert.throws(() => planScenarios("nope", ["generate"]), /unknown profile/);
    assert.throws(() => planScenarios("smoke", ["stream"]), /unknown route/);
    assert.throws(() => planScenarios("smoke", ["generate"], { steadyRates: [], rampRates: [] }), /no levels/);
    assert.throws(() => planScenarios("smoke", ["generate"], { steadyRates: [500], timeoutSeconds: 10 }), /needs 5001 VUs/);
  });

  test("thresholds from the environment (k6 -e and the runners' --failed-rate/--p95/--p99)", async () => {
    const { thresholdsFromEnv } = await import("../k6/lib/shared.js");
    assert.deepEqual(thresholdsFromEnv({}), DEFAULT_THRESHOLDS);
    assert.deepEqual(thresholdsFromEnv({ P95_MS: "generate=5000", P99_MS: "summarize=9000", FAILED_RATE: "0.05" }), {
      failedRate: 0.05,
      p95Ms: { generate: 5000, summarize: 4000 },
      p99Ms: { generate: 5000, summarize: 9000 },
    });
    assert.throws(() => thresholdsFromEnv({ P95_MS: "stream=1" }), /P95_MS/);
    assert.throws(() => thresholdsFromEnv({ FAILED_RATE: "2" }), /FAILED_RATE/);
  });

  test("vusFor: rate × timeout + 1", () => {
    assert.equal(vusFor(4, 10), 41);
    assert.equal(vusFor(0.5, 3), 3);
  });

  test("overrides from the environment (k6 -e and the runners' flags): validated, same names", () => {
    assert.deepEqual(overridesFromEnv({ LEVELS: "1, 2,4", RAMP: "none", LEVEL_SECONDS: "15", RAMP_SECONDS: "5", DRAIN_SECONDS: "0", TIMEOUT_SECONDS: "8", STEPS: "10", VUS: "3", WARMUP: "0" }), {
      steadyRates: [1, 2, 4],
      rampRates: [],
      steadySeconds: 15,
      rampSeconds: 5,
      drainSeconds: 0,
      timeoutSeconds: 8,
      warmupRequests: 0,
      steps: 10,
      vus: 3,
    });
    assert.deepEqual(overridesFromEnv({ LEVELS: "", STEPS: undefined }), {});
    assert.throws(() => overridesFromEnv({ LEVELS: "1,x" }), /LEVELS/);
    assert.throws(() => overridesFromEnv({ STEPS: "2.5" }), /STEPS/);
    assert.throws(() => overridesFromEnv({ LEVEL_SECONDS: "0" }), /LEVEL_SECONDS/);
    assert.deepEqual(planEnv({ levels: "1,2", seconds: "15", steps: "50", drain: "5", ramp: "none" }), { LEVELS: "1,2", LEVEL_SECONDS: "15", STEPS: "50", DRAIN_SECONDS: "5", RAMP: "none" });
    const p = planScenarios("smoke", ["generate"], overridesFromEnv({ LEVELS: "3", RAMP: "6", VUS: "2" }));
    assert.deepEqual(p.plan.map((s) => [s.key, s.vus]), [["generate-steady-3", 2], ["generate-ramp-6", 2]]);
  });

  test("k6 options: one constant-arrival-rate scenario per level, the threshold specs, per-level submetrics", () => {
    const p = planScenarios("smoke", ["generate", "summarize"]);
    const o = k6Options(p, DEFAULT_THRESHOLDS, "run") as { scenarios: Record<string, { executor: string; startTime: string; preAllocatedVUs: number }>; thresholds: Record<string, string[]>; summaryTrendStats: string[] };
    assert.ok(Object.values(o.scenarios).every((s) => s.executor === "constant-arrival-rate"));
    assert.equal(o.scenarios.summarize_steady_1rps.startTime, `${3 + 2 + 3 + 2 + 2 + 2}s`);
    for (const t of thresholdSpecs(p, DEFAULT_THRESHOLDS)) assert.ok(o.thresholds[t.metric].includes(t.condition), `${t.metric} ${t.condition}`);
    for (const s of p.plan) {
      for (const m of ["http_req_duration", "http_reqs", "http_req_failed", "checks", "ldtext_ok_end"]) assert.ok(o.thresholds[`${m}{level:${s.key}}`], `${m} ${s.key}`);
      assert.ok(o.thresholds[`dropped_iterations{scenario:${s.name}}`], s.name);
    }
    assert.ok(o.summaryTrendStats.includes("p(99)"));
  });

  test("budget: plans over the time or request limit are refused before anything is sent", () => {
    assert.equal(checkBudget("smoke", ["generate"], 60, 100).requests, 1 * 3 + 2 * 3 + 4 * 2);
    assert.throws(() => checkBudget("default", ["generate", "summarize"], 60, 1e6), BudgetError);
    assert.throws(() => checkBudget("default", ["generate"], 1e6, 100), /over --max-requests 100/);
  });
});

describe("bodies and seeds", () => {
  const docs = loadDocuments();
  test("the committed XSum sample has 20 documents", () => {
    assert.equal(docs.length, 20);
    assert.ok(docs.every((d) => d.length > 200));
  });

  test("seeded, valid and varied; steps fixed on request", () => {
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
    assert.ok(Array.from({ length: 50 }, () => makeBody("generate", a, [], 10)).every((g) => g.steps === 10));
    assert.throws(() => makeBody("summarize", a, []), /need documents/);
  });

  test("run seed: fresh each run unless given; every request of a run draws its own body, a function of (seed, level, i) only", () => {
    const fresh = new Set(Array.from({ length: 20 }, () => runSeed(undefined)));
    assert.ok(fresh.size >= 19, "fresh seeds differ");
    assert.equal(runSeed("12"), 12);
    assert.equal(runSeed("", () => 0.5), 2 ** 31, "empty = fresh");
    assert.equal(runSeed(undefined, () => 0.25), 2 ** 30);
    assert.throws(() => runSeed("-1"), /SEED/);
    const seeds = (seed: number, key: string) => Array.from({ length: 200 }, (_, i) => makeBody("generate", requestRng(seed, key, i)).seed);
    const all = [...seeds(7, "generate-steady-1"), ...seeds(7, "generate-steady-2"), ...seeds(8, "generate-steady-1")];
    assert.equal(new Set(all).size, 600);
    assert.deepEqual(seeds(7, "generate-steady-1"), seeds(7, "generate-steady-1"));
  });

  test("inspectResponse: status, body shape, cache", () => {
    assert.deepEqual(inspectResponse(200, JSON.stringify({ texts: ["a"], cached: false })), { checks: { "status is 200": true, "body has texts": true, "not from the response cache": true }, cached: false });
    assert.deepEqual(inspectResponse(200, JSON.stringify({ texts: ["a"], cached: true })).cached, true);
    assert.deepEqual(Object.values(inspectResponse(200, JSON.stringify({ texts: [], cached: false })).checks), [true, false, true]);
    assert.deepEqual(Object.values(inspectResponse(429, '{"error":"x"}').checks), [false, false, false]);
    assert.deepEqual(Object.values(inspectResponse(0, "").checks), [false, false, false]);
    assert.deepEqual(Object.values(inspectResponse(200, "{not json").checks), [true, false, false]);
  });
});

describe("levels, thresholds and summary", () => {
  test("percentile is k6's: linear interpolation at p/100 · (n − 1)", () => {
    const xs = Array.from({ length: 10 }, (_, i) => i + 1);
    assert.equal(percentile(xs, 50), 5.5);
    assert.ok(Math.abs(percentile(xs, 95)! - 9.55) < 1e-9, "k6 v1.3.0 reports p(95) 9.55 for 1..10");
    assert.ok(Math.abs(percentile(xs, 99)! - 9.91) < 1e-9);
    assert.equal(percentile([5], 50), 5);
    assert.equal(percentile([], 50), null);
  });

  test("levelFromRecords: offered/sent/dropped/failed; achieved = successes over max(seconds, last success), never above offered", () => {
    const s: LevelScenario = { name: "generate_steady_2rps", key: "generate-steady-2", route: "generate", load: "steady", rate: 2, startSeconds: 0, seconds: 3, vus: 2 };
    const ok = (latencyMs: number, endMs: number, status = 200): ResponseRecord => ({ latencyMs, status, endMs, checks: inspectResponse(status, status === 200 ? '{"texts":["a"],"cached":false}' : "").checks, cached: false });
    const l = levelFromRecords(s, [ok(100, 100), ok(400, 900), ok(300, 1300), ok(2000, 3500), ok(5, 2005, 429)], 1);
    assert.deepEqual([l.offered, l.sent, l.dropped, l.failed, l.ok, l.lastOkSeconds], [6, 5, 1, 1, 4, 3.5]);
    assert.equal(l.achievedRps, 4 / 3.5, "4 successes, the last 3.5 s after the level started");
    const fast = levelFromRecords(s, [0, 500, 1000, 1500, 2000, 2500].map((t) => ok(5, t + 5)), 0);
    assert.equal(fast.achievedRps, 2, "6 quick answers in a 3 s level: the offered 2/s, not 6 / 2.505 s");
    assert.equal(l.latencyMs.p50, 300);
    assert.equal(l.latencyMs.max, 2000);
    assert.deepEqual([l.checksPassed, l.checksTotal], [12, 15]);
  });

  test("thresholds: k6's names; failures, checks, p95/p99 per route, drops per steady level", () => {
    const p = planScenarios("smoke", ["generate"]);
    const specs = thresholdSpecs(p, DEFAULT_THRESHOLDS);
    assert.deepEqual(specs.map((t) => `${t.metric} ${t.condition}`), [
      "http_req_failed{route:generate,load:steady} rate<0.01",
      "checks{route:generate,load:steady} rate>0.99",
      "http_req_duration{route:generate,load:steady} p(95)<2000",
      "http_req_duration{route:generate,load:steady} p(99)<5000",
      "dropped_iterations{scenario:generate_steady_1rps} count<1",
      "dropped_iterations{scenario:generate_steady_2rps} count<1",
    ]);
    const levels = [level({ key: "generate-steady-1" }), level({ key: "generate-steady-2", rate: 2, offered: 20, sent: 19, dropped: 1 })];
    const lat = { generate: { p50: 10, p95: 100, p99: 200 } };
    const rows = evaluateThresholds(specs, levels, lat);
    assert.deepEqual(rows.filter((r) => !r.pass).map((r) => [r.name, r.value]), [["dropped_iterations{scenario:generate_steady_2rps}", 1]]);
    const slow = evaluateThresholds(specs, levels.slice(0, 1), { generate: { p50: 10, p95: 2500, p99: 2600 } });
    assert.deepEqual(slow.filter((r) => !r.pass).map((r) => r.condition), ["p(95)<2000", "count<1"], "no level 2 → its drop row has no value and fails");
    const verdict = evaluateThresholds(specs, levels.slice(0, 1), lat, { "http_req_failed{route:generate,load:steady}": { "rate<0.01": false } });
    assert.equal(verdict[0].pass, false, "k6's own verdict wins");
  });

  test("saturation: highest offered rate with failed + dropped under budget and p95 ≤ bound", () => {
    const levels = [
      level({ key: "generate-ramp-1", load: "ramp", rate: 1, achievedRps: 1 }),
      level({ key: "generate-ramp-2", load: "ramp", rate: 2, achievedRps: 2 }),
      level({ key: "generate-ramp-3", load: "ramp", rate: 3, achievedRps: 2.9, offered: 30, sent: 28, dropped: 2 }),
      level({ key: "generate-ramp-4", load: "ramp", rate: 4, achievedRps: 2.5, latencyMs: { p50: 900, p95: 3000, p99: 4000, mean: 1, max: 1 } }),
      level({ key: "generate-ramp-8", load: "ramp", rate: 8, achievedRps: 2.4, failed: 5 }),
    ];
    assert.deepEqual(findSaturation(levels, DEFAULT_THRESHOLDS), { generate: { sustainedRps: 2, p95BoundMs: 2000, peakAchievedRps: 2.9 } });
  });

  test("buildSummary / mergeSummaries / text: the documented shape, k6's labels", () => {
    const p = planScenarios("smoke", ["generate"], { steadyRates: [1, 2], rampRates: [] });
    const s = buildSummary({
      tool: "node",
      target: "http://127.0.0.1:1",
      profile: "smoke",
      planned: p,
      seed: 3,
      startedAt: "2026-01-01T00:00:00.000Z",
      durationSeconds: 10,
      levels: [level({}), level({ key: "generate-steady-2", rate: 2, failed: 1, sent: 20, offered: 20 })],
      steadyLatencies: { generate: { p50: 10, p95: 20, p99: 30 } },
      thresholds: DEFAULT_THRESHOLDS,
    });
    assert.deepEqual(Object.keys(s).sort(), ["durationSeconds", "levels", "limits", "pass", "plan", "profile", "saturation", "schema", "seed", "startedAt", "steadyLatencyMs", "target", "thresholds", "tool"]);
    assert.equal(s.pass, false, "1/30 failed is over 1 %");
    const text = formatSummaryText({ ...s, environment: { cpuModel: "AMD EPYC", cpus: 2, loadAverageStart: [3, 2, 1], loadAverageEnd: [4, 3, 2] } });
    assert.match(text, /✗ http_req_failed\{route:generate,load:steady\} rate<0.01 \(value 3.33 %\)/);
    assert.match(text, /✓ http_req_duration\{route:generate,load:steady\} p\(95\)<2000/);
    assert.match(text, /seed 3/);
    assert.match(text, /machine: AMD EPYC × 2, load average 3.00 2.00 1.00 at start/);
    assert.match(text, /FAIL/);
    const other = { ...s, levels: [level({ key: "summarize-steady-1", route: "summarize" })], saturation: { summarize: { sustainedRps: 1, p95BoundMs: 4000, peakAchievedRps: 1 } }, pass: true, durationSeconds: 5 };
    const m = mergeSummaries([s, other]);
    assert.equal(m.levels.length, 3);
    assert.deepEqual(Object.keys(m.saturation), ["generate", "summarize"]);
    assert.equal(m.durationSeconds, 15);
    assert.equal(m.pass, false);
  });

  test("summaryFromK6 reads k6's handleSummary data (k6 v1.3.0's field names) into the same shape", () => {
    const p = planScenarios("smoke", ["generate"]);
    const trend = (p50: number, p95: number) => ({ values: { "p(50)": p50, "p(95)": p95, "p(99)": p95 + 1, avg: p50, max: p95 + 2, med: p50 } });
    const data = {
      state: { testRunDurationMs: 5000 },
      setup_data: { seed: 9, startedAt: "2026-12-04T19:00:00.000Z" },
      metrics: {
        "http_req_duration{level:generate-steady-1}": trend(50, 90),
        "http_reqs{level:generate-steady-1}": { values: { count: 3 } },
        "http_req_failed{level:generate-steady-1}": { values: { rate: 0, passes: 0, fails: 3 } },
        "ldtext_ok_end{level:generate-steady-1}": { values: { count: 3, max: 2100 } },
        "checks{level:generate-steady-1}": { values: { rate: 1, passes: 9, fails: 0 } },
        "http_req_duration{level:generate-ramp-4}": trend(70, 300),
        "http_reqs{level:generate-ramp-4}": { values: { count: 8 } },
        "http_req_failed{level:generate-ramp-4}": { values: { rate: 0.25, passes: 2, fails: 6 } },
        "ldtext_ok_end{level:generate-ramp-4}": { values: { count: 5, max: 2500 } },
        "ldtext_cached{level:generate-ramp-4}": { values: { count: 1 } },
        "dropped_iterations{scenario:generate_steady_2rps}": { values: { count: 6 } },
        "http_req_duration{route:generate,load:steady}": trend(50, 90),
      },
    };
    const s = summaryFromK6(data, p, { target: "http://127.0.0.1:8080", profile: "smoke", thresholds: DEFAULT_THRESHOLDS });
    assert.equal(s.tool, "k6");
    assert.equal(s.seed, 9);
    assert.equal(s.startedAt, "2026-12-04T19:00:00.000Z", "from setup(), which runs at the start");
    assert.equal(s.durationSeconds, 5);
    assert.deepEqual(s.levels.map((l) => [l.key, l.offered, l.sent, l.dropped, l.failed, l.cached]), [["generate-steady-1", 3, 3, 0, 0, 0], ["generate-steady-2", 6, 0, 6, 0, 0], ["generate-ramp-4", 8, 8, 0, 2, 1]]);
    assert.equal(s.levels[2].achievedRps, 2, "5 successes, the last 2.5 s in: 5 / 2.5 s");
    assert.equal(s.levels[0].achievedRps, 1, "3 successes within the 3 s level");
    assert.equal(s.steadyLatencyMs.generate!.p95, 90);
    assert.equal(s.pass, false, "level 2 dropped everything");
    assert.deepEqual(s.saturation.generate, { sustainedRps: 1, p95BoundMs: 2000, peakAchievedRps: 2 });
  });
});

test("fractional rates: k6 gets a whole rate per timeUnit", async () => {
  const { k6Rate } = await import("../k6/lib/shared.js");
  assert.deepEqual(k6Rate(2), { rate: 2, timeUnit: "1s" });
  assert.deepEqual(k6Rate(0.25), { rate: 1, timeUnit: "4s" });
  assert.deepEqual(k6Rate(1.5), { rate: 3, timeUnit: "2s" });
  assert.throws(() => k6Rate(1 / 3), /whole number/);
  const p = planScenarios("smoke", ["generate"], { steadyRates: [0.5], rampRates: [], steadySeconds: 8 });
  assert.deepEqual(p.plan.map((s) => [s.name, s.key, s.vus]), [["generate_steady_0_5rps", "generate-steady-0.5", 6]]);
  const o = k6Options(p, DEFAULT_THRESHOLDS, "run") as { scenarios: Record<string, { rate: number; timeUnit: string }> };
  assert.deepEqual([o.scenarios.generate_steady_0_5rps.rate, o.scenarios.generate_steady_0_5rps.timeUnit], [1, "2s"]);
  assert.throws(() => planScenarios("smoke", ["generate"], { steadyRates: [0.3333] }), /whole number/);
});
