// Scenarios, request bodies, thresholds and the summary shape shared by the k6 scripts and the
// npm-only runner (loadtest/src/). Plain ES module JavaScript with no k6 or Node imports, so k6's
// runtime and Node load the very same file: both tools run the same load and report the same JSON.
// Types: shared.d.ts.

/** Load profiles. Rates are requests per second per route (open model: arrivals don't wait). */
export const PROFILES = {
  // Seconds: the CI smoke run, so the runner can't rot.
  smoke: { steadyRates: [2], steadySeconds: 3, rampRates: [1, 4], rampStepSeconds: 1, maxVUs: 16 },
  // A few minutes per route on a laptop-class CPU.
  default: { steadyRates: [1, 2, 4, 8], steadySeconds: 20, rampRates: [1, 2, 4, 8, 16, 32], rampStepSeconds: 10, maxVUs: 128 },
};

export const ROUTES = ["generate", "summarize"];

/** Failure rate and per-route latency limits (ms), judged on the steady scenarios only: the ramp
 *  is meant to push past saturation. */
export const DEFAULT_THRESHOLDS = {
  failedRate: 0.01,
  p95Ms: { generate: 2000, summarize: 4000 },
  p99Ms: { generate: 5000, summarize: 8000 },
};

/** Deterministic 32-bit PRNG (mulberry32), so a run's bodies are reproducible from its seed. */
export function makeRng(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick(rng, weighted) {
  const total = weighted.reduce((s, [, w]) => s + w, 0);
  let r = rng() * total;
  for (const [value, w] of weighted) {
    r -= w;
    if (r < 0) return value;
  }
  return weighted[weighted.length - 1][0];
}

// What users send: mostly single samples at moderate step counts, some larger batches and long runs.
const STEPS = [[10, 3], [25, 4], [50, 3]];
const SAMPLERS = [["ddim", 6], ["sde", 2], ["ode", 2]];
const N = [[1, 6], [2, 2], [4, 1]];
const GUIDANCE = [[0, 1], [1.5, 1]];

/** One request body for a route; `documents` are the XSum-like texts of fixtures/xsum-sample.json. */
export function makeBody(route, rng, documents) {
  const seed = Math.floor(rng() * 2147483647);
  const steps = pick(rng, STEPS);
  const sampler = pick(rng, SAMPLERS);
  if (route === "generate") return { n: pick(rng, N), steps, sampler, seed };
  if (route === "summarize") {
    if (!documents || documents.length === 0) throw new Error("summarize bodies need documents");
    return { document: documents[Math.floor(rng() * documents.length)], steps, sampler, seed, guidance: pick(rng, GUIDANCE) };
  }
  throw new Error(`unknown route ${route}`);
}

/**
 * The scenario plan of a profile for some routes: steady constant-arrival-rate levels, then a
 * staircase ramp (ramping-arrival-rate) to find saturation; run one after another.
 */
export function planScenarios(profileName, routes) {
  const profile = PROFILES[profileName];
  if (!profile) throw new Error(`unknown profile ${profileName} (known: ${Object.keys(PROFILES).join(", ")})`);
  const plan = [];
  let start = 0;
  for (const route of routes) {
    if (!ROUTES.includes(route)) throw new Error(`unknown route ${route} (known: ${ROUTES.join(", ")})`);
    for (const rate of profile.steadyRates) {
      plan.push({ name: `${route}_steady_${rate}rps`, route, load: "steady", rate, startSeconds: start, seconds: profile.steadySeconds });
      start += profile.steadySeconds;
    }
    const rampSeconds = profile.rampRates.length * profile.rampStepSeconds;
    plan.push({ name: `${route}_ramp`, route, load: "ramp", rates: profile.rampRates, stepSeconds: profile.rampStepSeconds, startSeconds: start, seconds: rampSeconds });
    start += rampSeconds;
  }
  return { profile, plan, totalSeconds: start };
}

/** Which staircase level a ramp request belongs to, from seconds since the ramp started. */
export function rampLevel(scenario, elapsedSeconds) {
  const i = Math.min(scenario.rates.length - 1, Math.max(0, Math.floor(elapsedSeconds / scenario.stepSeconds)));
  return scenario.rates[i];
}

/** k6 `options` for a plan: scenarios, thresholds (and always-true ones that make k6 report the
 *  per-level submetrics the summary needs), and the trend percentiles. */
export function k6Options(planned, thresholds, execName) {
  const scenarios = {};
  const k6Thresholds = { "http_req_failed{load:steady}": [`rate<${thresholds.failedRate}`] };
  for (const s of planned.plan) {
    const base = { exec: execName, startTime: `${s.startSeconds}s`, preAllocatedVUs: Math.min(8, planned.profile.maxVUs), maxVUs: planned.profile.maxVUs, tags: { route: s.route, load: s.load, scenario_name: s.name }, env: { ROUTE: s.route, SCENARIO: s.name } };
    if (s.load === "steady") {
      scenarios[s.name] = { ...base, executor: "constant-arrival-rate", rate: s.rate, timeUnit: "1s", duration: `${s.seconds}s` };
    } else {
      const stages = [];
      for (const r of s.rates) stages.push({ target: r, duration: "0s" }, { target: r, duration: `${s.stepSeconds}s` });
      scenarios[s.name] = { ...base, executor: "ramping-arrival-rate", startRate: s.rates[0], timeUnit: "1s", stages };
    }
  }
  for (const route of new Set(planned.plan.map((s) => s.route))) {
    k6Thresholds[`http_req_duration{route:${route},load:steady}`] = [`p(95)<${thresholds.p95Ms[route]}`, `p(99)<${thresholds.p99Ms[route]}`];
  }
  for (const level of levelsOf(planned)) {
    k6Thresholds[`http_req_duration{level:${level.key}}`] = ["max>=0"];
    k6Thresholds[`http_req_failed{level:${level.key}}`] = ["rate>=0"];
    k6Thresholds[`http_reqs{level:${level.key}}`] = ["count>=0"];
  }
  return { scenarios, thresholds: k6Thresholds, summaryTrendStats: ["avg", "min", "med", "max", "p(50)", "p(95)", "p(99)"], discardResponseBodies: true };
}

/** Every measured level: one per steady scenario, one per ramp stair. */
export function levelsOf(planned) {
  const levels = [];
  for (const s of planned.plan) {
    if (s.load === "steady") levels.push({ key: `${s.route}-steady-${s.rate}`, route: s.route, load: "steady", rate: s.rate, seconds: s.seconds });
    else for (const r of s.rates) levels.push({ key: `${s.route}-ramp-${r}`, route: s.route, load: "ramp", rate: r, seconds: s.stepSeconds });
  }
  return levels;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/**
 * Judges a summary's steady levels against thresholds. Returns one row per threshold:
 * { name, route?, condition, value, pass }.
 */
export function evaluateThresholds(routes, thresholds) {
  const rows = [];
  let requests = 0;
  let failed = 0;
  for (const [route, r] of Object.entries(routes)) {
    requests += r.steady.requests;
    failed += r.steady.failed;
    for (const [p, limits] of [["p95", thresholds.p95Ms], ["p99", thresholds.p99Ms]]) {
      const value = r.steady.latencyMs[p];
      const limit = limits[route];
      if (limit === undefined) continue;
      rows.push({ name: "http_req_duration", route, condition: `${p}<${limit}`, value, pass: value !== null && value < limit });
    }
  }
  const rate = requests === 0 ? 1 : failed / requests;
  rows.unshift({ name: "http_req_failed", condition: `rate<${thresholds.failedRate}`, value: rate, pass: requests > 0 && rate < thresholds.failedRate });
  return rows;
}

/**
 * Saturation per route: the highest offered rate whose level still met the thresholds (failure
 * rate and p95), and the best throughput any level achieved.
 */
export function findSaturation(levels, thresholds) {
  const out = {};
  for (const route of new Set(levels.map((l) => l.route))) {
    const mine = levels.filter((l) => l.route === route).sort((a, b) => a.rate - b.rate);
    let sustained = null;
    for (const l of mine) {
      const ok = l.requests > 0 && l.failed / l.requests < thresholds.failedRate && l.latencyMs.p95 !== null && l.latencyMs.p95 < thresholds.p95Ms[route];
      if (ok) sustained = sustained === null ? l.rate : Math.max(sustained, l.rate);
    }
    out[route] = { sustainedRps: sustained, peakThroughputRps: Math.max(0, ...mine.map((l) => l.throughputRps)) };
  }
  return out;
}

/** Aggregates levels into the per-route steady numbers that thresholds are judged on. */
export function routeTotals(levels, steadyLatencies) {
  const routes = {};
  for (const l of levels) {
    const r = (routes[l.route] ??= { steady: { requests: 0, failed: 0, latencyMs: { p50: null, p95: null, p99: null } } });
    if (l.load === "steady") {
      r.steady.requests += l.requests;
      r.steady.failed += l.failed;
    }
  }
  for (const [route, lat] of Object.entries(steadyLatencies)) if (routes[route]) routes[route].steady.latencyMs = lat;
  return routes;
}

/**
 * The summary document both tools write:
 * { schema, tool, target, profile, startedAt, durationSeconds, levels[], routes{}, saturation{},
 *   thresholds[], pass }.
 */
export function buildSummary({ tool, target, profile, startedAt, durationSeconds, levels, steadyLatencies, thresholds }) {
  const routes = routeTotals(levels, steadyLatencies);
  const rows = evaluateThresholds(routes, thresholds);
  return {
    schema: "ldtext-loadtest-summary/1",
    tool,
    target,
    profile,
    startedAt,
    durationSeconds,
    levels,
    routes,
    saturation: findSaturation(levels, thresholds),
    thresholds: rows,
    pass: rows.every((r) => r.pass),
  };
}

function fmt(v, digits = 1) {
  return v === null || v === undefined ? "—" : Number(v).toFixed(digits);
}

/** Human-readable table of a summary. */
export function formatSummaryText(s) {
  const lines = [`load test (${s.tool}, profile ${s.profile}) against ${s.target}: ${fmt(s.durationSeconds)} s`, ""];
  lines.push("level                      offered/s  achieved/s  requests  failed   p50 ms   p95 ms   p99 ms");
  for (const l of s.levels) {
    lines.push(
      `${l.key.padEnd(26)} ${fmt(l.rate).padStart(9)} ${fmt(l.throughputRps).padStart(11)} ${String(l.requests).padStart(9)} ${String(l.failed).padStart(7)} ${fmt(l.latencyMs.p50).padStart(8)} ${fmt(l.latencyMs.p95).padStart(8)} ${fmt(l.latencyMs.p99).padStart(8)}`,
    );
  }
  lines.push("");
  for (const [route, sat] of Object.entries(s.saturation)) {
    lines.push(`${route}: sustained ${sat.sustainedRps === null ? "no level" : `${sat.sustainedRps} req/s`} within thresholds; peak ${fmt(sat.peakThroughputRps)} req/s`);
  }
  lines.push("");
  for (const t of s.thresholds) {
    lines.push(`${t.pass ? "✓" : "✗"} ${t.name}${t.route ? `{route:${t.route}}` : ""} ${t.condition} (value ${t.name === "http_req_failed" ? fmt(t.value * 100, 2) + " %" : fmt(t.value) + " ms"})`);
  }
  lines.push("", s.pass ? "PASS" : "FAIL: a threshold failed");
  return lines.join("\n");
}

/** Converts k6's handleSummary `data` into the shared summary shape. */
export function summaryFromK6(data, planned, { target, profile, startedAt, thresholds }) {
  const metric = (name) => (data.metrics[name] ? data.metrics[name].values : undefined);
  const levels = levelsOf(planned).map((l) => {
    const d = metric(`http_req_duration{level:${l.key}}`);
    const count = metric(`http_reqs{level:${l.key}}`);
    const failedRate = metric(`http_req_failed{level:${l.key}}`);
    const requests = count ? count.count : 0;
    return {
      ...l,
      requests,
      failed: failedRate ? Math.round(failedRate.rate * requests) : 0,
      throughputRps: (requests - (failedRate ? Math.round(failedRate.rate * requests) : 0)) / l.seconds,
      latencyMs: d && requests > 0 ? { p50: d["p(50)"], p95: d["p(95)"], p99: d["p(99)"], mean: d.avg, max: d.max } : { p50: null, p95: null, p99: null, mean: null, max: null },
    };
  });
  const steadyLatencies = {};
  for (const route of new Set(planned.plan.map((s) => s.route))) {
    const d = metric(`http_req_duration{route:${route},load:steady}`);
    steadyLatencies[route] = d ? { p50: d["p(50)"], p95: d["p(95)"], p99: d["p(99)"] } : { p50: null, p95: null, p99: null };
  }
  return buildSummary({ tool: "k6", target, profile, startedAt, durationSeconds: data.state.testRunDurationMs / 1000, levels, steadyLatencies, thresholds });
}
