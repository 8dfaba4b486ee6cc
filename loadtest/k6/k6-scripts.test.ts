// The k6 scripts' own logic under Node, without the k6 binary (see test-shims/hooks.mjs): one
// scenario per level with start times and drain gaps, VUs from Little's law, requests and their
// check()s, the run seed (fresh unless SEED), dropped arrivals in the summary and its thresholds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import type { Summary } from "./lib/shared.js";

const here = new URL(".", import.meta.url).pathname;

interface Scenario {
  executor: string;
  rate: number;
  timeUnit: string;
  duration: string;
  startTime: string;
  preAllocatedVUs: number;
  maxVUs: number;
  gracefulStop: string;
  tags: Record<string, string>;
}
interface Seen {
  options: { scenarios: Record<string, Scenario>; thresholds: Record<string, string[]> };
  setupData: { seed: number };
  logs: string[];
  calls: { url: string; body: string; scenario: string; params: { headers: Record<string, string>; timeout: string; responseType: string } }[];
  checks: { name: string; ok: boolean; scenario: string }[];
  metrics: { name: string; value: number; scenario: string }[];
  files: string[];
  json: Summary;
  text: string;
}

function drive(script: string, env: Record<string, string> = {}, extra: { metrics?: Record<string, unknown>; response?: unknown; vus?: number } = {}): Seen {
  const config = { env: { BASE_URL: "http://127.0.0.1:9", PROFILE: "smoke", RESULTS_DIR: "/results", API_KEY: "k", ...env }, ...extra };
  const r = spawnSync(process.execPath, ["--import", `${here}test-shims/register.mjs`, `${here}test-shims/driver.mjs`, `${here}${script}`, JSON.stringify(config)], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Seen;
}

const seconds = (d: string) => Number.parseFloat(d);

test("levels are separate scenarios: constant arrival rate, own start time, a drain gap between, VUs = rate × timeout + 1", () => {
  const seen = drive("generate.js");
  const sc = seen.options.scenarios;
  assert.deepEqual(Object.keys(sc), ["generate_steady_1rps", "generate_steady_2rps", "generate_ramp_4rps"]);
  const list = Object.values(sc);
  for (const s of list) {
    assert.equal(s.executor, "constant-arrival-rate");
    assert.equal(s.preAllocatedVUs, s.maxVUs, "all VUs allocated before the start: none added (and arrivals dropped) mid-level");
    assert.equal(s.maxVUs, Math.ceil(s.rate * 10) + 1);
    assert.equal(s.gracefulStop, "11s");
  }
  for (let i = 1; i < list.length; i++) {
    const prevEnd = seconds(list[i - 1].startTime) + seconds(list[i - 1].duration);
    assert.equal(seconds(list[i].startTime), prevEnd + 2, "smoke drains 2 s between levels");
  }
  assert.deepEqual(list.map((s) => s.tags.level), ["generate-steady-1", "generate-steady-2", "generate-ramp-4"]);
  // Per-level submetrics exist for every level; drops are judged per steady level.
  assert.deepEqual(seen.options.thresholds["dropped_iterations{scenario:generate_steady_2rps}"], ["count<1"]);
  assert.deepEqual(seen.options.thresholds["dropped_iterations{scenario:generate_ramp_4rps}"], ["count>=0"]);
  assert.deepEqual(seen.options.thresholds["http_req_failed{route:generate,load:steady}"], ["rate<0.01"]);
  assert.deepEqual(seen.options.thresholds["checks{route:generate,load:steady}"], ["rate>0.99"]);
  assert.deepEqual(seen.options.thresholds["http_req_duration{route:generate,load:steady}"], ["p(95)<2000", "p(99)<5000"]);
});

test("each level sends exactly its offered requests (not k6's extra one at the end), checked, successes timed from the level's start", () => {
  const seen = drive("generate.js", { SEED: "5" });
  const per = (name: string) => seen.calls.filter((c) => c.scenario === name).length;
  assert.equal(per("generate_steady_1rps"), 3);
  assert.equal(per("generate_steady_2rps"), 6);
  assert.equal(per("generate_ramp_4rps"), 8);
  assert.equal(per("setup"), 2, "smoke's 2 warm-up requests, in setup(): no level tags, not measured");
  for (const c of seen.calls) {
    assert.equal(c.url, "http://127.0.0.1:9/generate");
    assert.equal(c.params.headers.authorization, "Bearer k");
    assert.equal(c.params.timeout, "10s");
    assert.equal(c.params.responseType, "text", "bodies are read, to check them");
    const body = JSON.parse(c.body) as { n: number; steps: number; seed: number };
    assert.ok(body.n >= 1 && [10, 25, 50].includes(body.steps) && Number.isInteger(body.seed));
  }
  assert.equal(seen.checks.length, 3 * (seen.calls.length - 2));
  assert.ok(seen.checks.every((c) => c.ok));
  const ends = seen.metrics.filter((m) => m.name === "ldtext_ok_end");
  assert.equal(ends.length, seen.calls.length - 2);
  assert.ok(ends.filter((m) => m.scenario === "generate_steady_2rps").every((m) => m.value >= 0 && m.value < 3000));
});

test("--steps: every body has the given denoising steps; --levels/--ramp/--seconds/--drain shape the plan", () => {
  const seen = drive("generate.js", { STEPS: "50", LEVELS: "3", RAMP: "none", LEVEL_SECONDS: "2", DRAIN_SECONDS: "0", TIMEOUT_SECONDS: "4", WARMUP: "0" });
  assert.deepEqual(Object.keys(seen.options.scenarios), ["generate_steady_3rps"]);
  assert.equal(seen.options.scenarios.generate_steady_3rps.maxVUs, 13);
  assert.equal(seen.calls.length, 6);
  assert.ok(seen.calls.every((c) => (JSON.parse(c.body) as { steps: number }).steps === 50));
  assert.equal(seen.json.plan.steps, 50);
});

test("seeds: a fresh run seed per run (printed), the same bodies again with SEED", () => {
  const a = drive("generate.js");
  const b = drive("generate.js");
  assert.notEqual(a.setupData.seed, b.setupData.seed);
  assert.notDeepEqual(a.calls.map((c) => c.body), b.calls.map((c) => c.body));
  assert.match(a.logs.join("\n"), new RegExp(`seed ${a.setupData.seed} \\(fresh`));
  assert.equal(a.json.seed, a.setupData.seed);
  const c = drive("generate.js", { SEED: "77" });
  const d = drive("generate.js", { SEED: "77" });
  assert.equal(c.setupData.seed, 77);
  assert.deepEqual(c.calls.map((x) => x.body), d.calls.map((x) => x.body));
  // Every request of a run has its own seed, whichever VU sends it.
  const seeds = c.calls.map((x) => (JSON.parse(x.body) as { seed: number }).seed);
  assert.equal(new Set(seeds).size, seeds.length);
  const e = drive("generate.js", { SEED: "77" }, { vus: 5 });
  assert.deepEqual(e.calls.map((x) => x.body), c.calls.map((x) => x.body), "bodies don't depend on which VU takes an arrival");
});

test("checks fail on a cached or malformed answer and on a 429", () => {
  const cached = drive("generate.js", {}, { response: { status: 200, body: JSON.stringify({ texts: ["x"], cached: true }) } });
  assert.ok(cached.checks.filter((c) => c.name === "not from the response cache").every((c) => !c.ok));
  assert.equal(cached.metrics.filter((m) => m.name === "ldtext_cached").length, cached.calls.filter((c) => c.scenario !== "setup").length);
  const refused = drive("generate.js", {}, { response: { status: 429, body: JSON.stringify({ error: "overloaded" }) } });
  assert.ok(refused.checks.every((c) => !c.ok));
  assert.equal(refused.metrics.filter((m) => m.name === "ldtext_ok_end").length, 0);
});

test("handleSummary: dropped arrivals are counted per level and fail the thresholds; labels are k6's", () => {
  const trend = (p50: number, p95: number) => ({ values: { "p(50)": p50, "p(95)": p95, "p(99)": p95 + 1, avg: p50, max: p95 + 2, med: p50 } });
  const metrics = {
    "http_req_duration{level:generate-steady-1}": trend(50, 90),
    "http_reqs{level:generate-steady-1}": { values: { count: 3 } },
    "http_req_failed{level:generate-steady-1}": { values: { rate: 0, passes: 0, fails: 3 } },
    "ldtext_ok_end{level:generate-steady-1}": { values: { count: 3, max: 2600 } },
    "checks{level:generate-steady-1}": { values: { rate: 1, passes: 9, fails: 0 } },
    "http_req_duration{level:generate-steady-2}": trend(60, 95),
    "http_reqs{level:generate-steady-2}": { values: { count: 4 } },
    "http_req_failed{level:generate-steady-2}": { values: { rate: 0, passes: 0, fails: 4 } },
    "ldtext_ok_end{level:generate-steady-2}": { values: { count: 4, max: 2900 } },
    "checks{level:generate-steady-2}": { values: { rate: 1, passes: 12, fails: 0 } },
    "dropped_iterations{scenario:generate_steady_2rps}": { values: { count: 2 }, thresholds: { "count<1": { ok: false } } },
    "http_req_duration{route:generate,load:steady}": { ...trend(55, 94), thresholds: { "p(95)<2000": { ok: true }, "p(99)<5000": { ok: true } } },
  };
  const seen = drive("generate.js", {}, { metrics });
  const levels = seen.json.levels;
  assert.deepEqual(levels.map((l) => [l.key, l.offered, l.sent, l.dropped]), [["generate-steady-1", 3, 3, 0], ["generate-steady-2", 6, 4, 2], ["generate-ramp-4", 8, 0, 0]]);
  assert.equal(levels[1].achievedRps, 4 / 3, "achieved = successes / max(3 s, last at 2.9 s), below the offered 2/s");
  const dropRow = seen.json.thresholds.find((t) => t.name === "dropped_iterations{scenario:generate_steady_2rps}")!;
  assert.deepEqual([dropRow.condition, dropRow.value, dropRow.pass], ["count<1", 2, false]);
  assert.equal(seen.json.pass, false);
  assert.equal(seen.json.saturation.generate!.sustainedRps, 1, "a level with drops is not sustained");
  assert.match(seen.text, /✗ dropped_iterations\{scenario:generate_steady_2rps\} count<1 \(value 2\)/);
  assert.match(seen.text, /✓ http_req_duration\{route:generate,load:steady\} p\(95\)<2000 \(value 94\.0 ms\)/);
  assert.deepEqual(seen.files.sort(), ["/results/k6-generate-summary.json", "/results/k6-generate-summary.txt", "stdout"]);
});

test("summarize.js: documents from the committed XSum sample, its own levels", () => {
  const seen = drive("summarize.js");
  const body = JSON.parse(seen.calls[0].body) as { document: string; guidance: number };
  assert.ok(body.document.length > 200);
  assert.equal(seen.calls[0].url, "http://127.0.0.1:9/summarize");
  assert.deepEqual(seen.json.levels.map((l) => l.key), ["summarize-steady-1", "summarize-steady-2", "summarize-ramp-4"]);
});

test("fractional rates: 0.5 req/s for 6 s sends 3 requests, one every 2 s", () => {
  const seen = drive("generate.js", { LEVELS: "0.5", RAMP: "none", LEVEL_SECONDS: "6", WARMUP: "0" });
  assert.deepEqual(Object.values(seen.options.scenarios).map((s) => [s.rate, s.timeUnit]), [[1, "2s"]]);
  assert.equal(seen.calls.length, 3);
  assert.equal(seen.json.levels[0].offered, 3);
});

test("thresholds from P95_MS/P99_MS/FAILED_RATE reach k6's options and the summary; startedAt from setup()", () => {
  const seen = drive("generate.js", { P95_MS: "generate=5000", P99_MS: "generate=9000", FAILED_RATE: "0.05" });
  assert.deepEqual(seen.options.thresholds["http_req_duration{route:generate,load:steady}"], ["p(95)<5000", "p(99)<9000"]);
  assert.deepEqual(seen.options.thresholds["http_req_failed{route:generate,load:steady}"], ["rate<0.05"]);
  assert.equal(seen.json.limits.p95Ms.generate, 5000);
  assert.ok(Date.parse(seen.json.startedAt!) <= Date.now());
});
