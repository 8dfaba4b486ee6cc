// Scenarios, request bodies, response checks, thresholds and the summary shape shared by the k6
// scripts and the npm-only runner (loadtest/src/). Plain ES module JavaScript with no k6 or Node
// imports, so k6's runtime and Node load the very same file: both tools run the same load and
// report the same JSON. Types: shared.d.ts.

/**
 * Load profiles. Rates are requests per second per route (open model: arrivals don't wait).
 * Every level (steady or ramp) is its own constant-arrival-rate scenario; a level starts
 * `drainSeconds` after the previous one ended, so the requests of one level (which all end within
 * `timeoutSeconds`) are not measured as part of the next. Steady levels are judged by the
 * thresholds; ramp levels push past saturation and only feed the saturation figures. Before the
 * first level, `warmupRequests` requests per route are sent one at a time and not measured (a
 * freshly started server loads its ONNX sessions and JIT-compiles on its first requests).
 */
export const PROFILES = {
  // Seconds: the CI smoke run, so the runners can't rot (a shorter drain than the timeout).
  smoke: { steadyRates: [1, 2], steadySeconds: 3, rampRates: [4], rampSeconds: 2, drainSeconds: 2, timeoutSeconds: 10, warmupRequests: 2 },
  // About 3 minutes per route.
  default: { steadyRates: [1, 2, 4, 8], steadySeconds: 20, rampRates: [16, 32], rampSeconds: 10, drainSeconds: 10, timeoutSeconds: 10, warmupRequests: 4 },
};

export const ROUTES = ["generate", "summarize"];

/** VUs (k6) / connections (npm runner) above this for one level: the plan is refused. */
export const MAX_VUS = 2000;

/** Failure rate and per-route latency limits (ms), judged on the steady levels only: the ramp
 *  is meant to push past saturation. Dropped arrivals count as failures. */
export const DEFAULT_THRESHOLDS = {
  failedRate: 0.01,
  p95Ms: { generate: 2000, summarize: 4000 },
  p99Ms: { generate: 5000, summarize: 8000 },
};

/**
 * Thresholds from k6-style environment variables (the runners pass --failed-rate, --p95, --p99 the
 * same way): FAILED_RATE (0.01), P95_MS and P99_MS ("generate=2000,summarize=4000"; routes not
 * named keep their defaults).
 */
export function thresholdsFromEnv(env) {
  const has = (k) => env[k] !== undefined && env[k] !== null && String(env[k]) !== "";
  const perRoute = (name, defaults) => {
    const out = { ...defaults };
    if (!has(name)) return out;
    for (const part of String(env[name]).split(",").filter((x) => x.trim().length > 0)) {
      const [route, value] = part.split("=").map((x) => x.trim());
      const ms = Number(value);
      if (!ROUTES.includes(route) || !(ms > 0)) throw new Error(`${name}: bad "${part}" (want route=ms, routes ${ROUTES.join("/")})`);
      out[route] = ms;
    }
    return out;
  };
  let failedRate = DEFAULT_THRESHOLDS.failedRate;
  if (has("FAILED_RATE")) {
    failedRate = Number(env.FAILED_RATE);
    if (!(failedRate > 0 && failedRate <= 1)) throw new Error(`FAILED_RATE must be in (0, 1], got "${env.FAILED_RATE}"`);
  }
  return { failedRate, p95Ms: perRoute("P95_MS", DEFAULT_THRESHOLDS.p95Ms), p99Ms: perRoute("P99_MS", DEFAULT_THRESHOLDS.p99Ms) };
}

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

/**
 * The run seed: SEED when given (a rerun with the same bodies; note the server's response cache
 * answers repeated seeded requests from memory), else a fresh one from Math.random, so two runs
 * never send the same seeded requests and the cache cannot serve a load test.
 */
export function runSeed(given, random = Math.random) {
  if (given !== undefined && given !== null && String(given) !== "") {
    const n = Number(given);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`SEED must be an integer in [0, 2^32), got ${given}`);
    return n;
  }
  return Math.floor(random() * 0x100000000) >>> 0;
}

function fmix32(h) {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashString(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * The body generator of request `i` of a level (its iteration number; "warmup-<route>" for the
 * warm-up requests): a function of the run seed, the level and i only, so k6 (whichever VU takes
 * the arrival) and the npm runner send the very same requests for the same seed.
 */
export function requestRng(seed, levelKey, i) {
  return makeRng(fmix32(fmix32(fmix32(seed >>> 0) ^ hashString(levelKey)) ^ (i >>> 0)));
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

/**
 * One request body for a route; `documents` are the XSum-like texts of fixtures/xsum-sample.json.
 * `steps` (optional) fixes the denoising steps of every request instead of the 10/25/50 mix.
 */
export function makeBody(route, rng, documents, steps) {
  const seed = Math.floor(rng() * 2147483647);
  const mixed = pick(rng, STEPS);
  const s = steps === undefined || steps === null ? mixed : steps;
  const sampler = pick(rng, SAMPLERS);
  if (route === "generate") return { n: pick(rng, N), steps: s, sampler, seed };
  if (route === "summarize") {
    if (!documents || documents.length === 0) throw new Error("summarize bodies need documents");
    return { document: documents[Math.floor(rng() * documents.length)], steps: s, sampler, seed, guidance: pick(rng, GUIDANCE) };
  }
  throw new Error(`unknown route ${route}`);
}

/** The check names (k6's `checks` metric, and the npm runner's count of the same). */
export const CHECKS = ["status is 200", "body has texts", "not from the response cache"];

/** Checks one response: status, body shape (a non-empty array of strings in `texts`), and that it
 *  was computed for this request (`cached: false`). Returns { checks: { name: pass } for CHECKS,
 *  cached: whether the server's response cache answered }. */
export function inspectResponse(status, bodyText) {
  let body = null;
  try {
    body = typeof bodyText === "string" && bodyText.length > 0 ? JSON.parse(bodyText) : null;
  } catch {
    body = null;
  }
  const obj = body !== null && typeof body === "object" ? body : {};
  const texts = obj.texts;
  return {
    checks: {
      [CHECKS[0]]: status === 200,
      [CHECKS[1]]: Array.isArray(texts) && texts.length > 0 && texts.every((t) => typeof t === "string"),
      [CHECKS[2]]: obj.cached === false,
    },
    cached: obj.cached === true,
  };
}

/** k6's `rate` must be an integer per `timeUnit`: 0.25 req/s is 1 per 4 s. */
export function k6Rate(rate) {
  for (const k of [1, 2, 4, 5, 10, 20, 50, 100]) {
    const n = rate * k;
    if (Math.abs(n - Math.round(n)) < 1e-9) return { rate: Math.round(n), timeUnit: `${k}s` };
  }
  throw new Error(`rate ${rate} req/s is not a whole number of requests per 1, 2, 4, 5, 10, 20, 50 or 100 s`);
}

/** VUs a level needs so no arrival waits for a free one (Little's law: concurrency = arrival rate
 *  × time in the system; no request outlives the timeout), plus one for the arrival at the edge. */
export function vusFor(rate, timeoutSeconds) {
  return Math.ceil(rate * timeoutSeconds) + 1;
}

function rates(raw, what) {
  const out = String(raw)
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x.length > 0)
    .map(Number);
  for (const r of out) if (!(r > 0) || !Number.isFinite(r)) throw new Error(`${what}: rates must be positive numbers, got "${raw}"`);
  return out;
}

function seconds(raw, what, allowZero) {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) throw new Error(`${what} must be a ${allowZero ? "non-negative" : "positive"} number of seconds, got "${raw}"`);
  return n;
}

/**
 * Plan overrides from k6-style environment variables (the npm runners pass their flags the same
 * way): LEVELS (steady rates, "1,2,4"), RAMP (ramp rates; "none" for none), LEVEL_SECONDS,
 * RAMP_SECONDS, DRAIN_SECONDS, TIMEOUT_SECONDS, STEPS (10..), WARMUP (requests per route before the
 * first level, not measured), VUS (a fixed VU count per level
 * instead of vusFor's, to see what too few do). Unset or empty = the profile's.
 */
export function overridesFromEnv(env) {
  const o = {};
  const has = (k) => env[k] !== undefined && env[k] !== null && String(env[k]) !== "";
  if (has("LEVELS")) o.steadyRates = rates(env.LEVELS, "LEVELS");
  if (has("RAMP")) o.rampRates = String(env.RAMP).trim() === "none" ? [] : rates(env.RAMP, "RAMP");
  if (has("LEVEL_SECONDS")) o.steadySeconds = seconds(env.LEVEL_SECONDS, "LEVEL_SECONDS", false);
  if (has("RAMP_SECONDS")) o.rampSeconds = seconds(env.RAMP_SECONDS, "RAMP_SECONDS", false);
  if (has("DRAIN_SECONDS")) o.drainSeconds = seconds(env.DRAIN_SECONDS, "DRAIN_SECONDS", true);
  if (has("TIMEOUT_SECONDS")) o.timeoutSeconds = seconds(env.TIMEOUT_SECONDS, "TIMEOUT_SECONDS", false);
  if (has("WARMUP")) {
    const w = Number(env.WARMUP);
    if (!Number.isInteger(w) || w < 0) throw new Error(`WARMUP must be a non-negative integer, got "${env.WARMUP}"`);
    o.warmupRequests = w;
  }
  if (has("VUS")) {
    const v = Number(env.VUS);
    if (!Number.isInteger(v) || v < 1) throw new Error(`VUS must be a positive integer, got "${env.VUS}"`);
    o.vus = v;
  }
  if (has("STEPS")) {
    const s = Number(env.STEPS);
    if (!Number.isInteger(s) || s < 1) throw new Error(`STEPS must be a positive integer, got "${env.STEPS}"`);
    o.steps = s;
  }
  return o;
}

/**
 * The scenario plan of a profile for some routes: per route, the steady levels then the ramp
 * levels, each its own constant-arrival-rate scenario starting `drainSeconds` after the previous
 * one's end. `overrides` (see overridesFromEnv) replace profile fields.
 */
export function planScenarios(profileName, routes, overrides = {}) {
  const base = PROFILES[profileName];
  if (!base) throw new Error(`unknown profile ${profileName} (known: ${Object.keys(PROFILES).join(", ")})`);
  const profile = { ...base, steps: null, vus: null, ...overrides };
  if (profile.steadyRates.length + profile.rampRates.length === 0) throw new Error("the plan has no levels");
  const plan = [];
  let start = 0;
  for (const route of routes) {
    if (!ROUTES.includes(route)) throw new Error(`unknown route ${route} (known: ${ROUTES.join(", ")})`);
    const levels = [
      ...profile.steadyRates.map((rate) => ({ load: "steady", rate, seconds: profile.steadySeconds })),
      ...profile.rampRates.map((rate) => ({ load: "ramp", rate, seconds: profile.rampSeconds })),
    ];
    for (const l of levels) {
      k6Rate(l.rate);
      const vus = profile.vus ?? vusFor(l.rate, profile.timeoutSeconds);
      if (vus > MAX_VUS) throw new Error(`${route} at ${l.rate} req/s with a ${profile.timeoutSeconds} s timeout needs ${vus} VUs, over ${MAX_VUS}`);
      if (plan.length > 0) start += profile.drainSeconds;
      plan.push({
        name: `${route}_${l.load}_${String(l.rate).replace(".", "_")}rps`,
        key: `${route}-${l.load}-${l.rate}`,
        route,
        load: l.load,
        rate: l.rate,
        startSeconds: start,
        seconds: l.seconds,
        vus,
      });
      start += l.seconds;
    }
  }
  // The last level's requests may run until its end + the timeout.
  return { profile, plan, totalSeconds: start + profile.timeoutSeconds };
}

/** Arrivals a level offers: constant-arrival-rate starts one every 1/rate s from its start. */
export function offeredOf(level) {
  return Math.round(level.rate * level.seconds);
}

/**
 * The thresholds, named as k6 names them (metric{tags} and condition), judged on steady levels:
 * per route the failed-request rate, p95 and p99, the failed-check rate, and per steady level the
 * dropped arrivals (k6 tags dropped_iterations with the scenario only). k6Options hands exactly
 * these to k6; both runners' summaries list exactly these rows.
 */
export function thresholdSpecs(planned, thresholds) {
  const specs = [];
  for (const route of new Set(planned.plan.map((s) => s.route))) {
    const steady = planned.plan.filter((s) => s.route === route && s.load === "steady");
    if (steady.length === 0) continue;
    specs.push({ metric: `http_req_failed{route:${route},load:steady}`, condition: `rate<${thresholds.failedRate}`, route, kind: "failed" });
    specs.push({ metric: `checks{route:${route},load:steady}`, condition: `rate>${Number((1 - thresholds.failedRate).toFixed(6))}`, route, kind: "checks" });
    if (thresholds.p95Ms[route] !== undefined) specs.push({ metric: `http_req_duration{route:${route},load:steady}`, condition: `p(95)<${thresholds.p95Ms[route]}`, route, kind: "p95" });
    if (thresholds.p99Ms[route] !== undefined) specs.push({ metric: `http_req_duration{route:${route},load:steady}`, condition: `p(99)<${thresholds.p99Ms[route]}`, route, kind: "p99" });
    for (const s of steady) specs.push({ metric: `dropped_iterations{scenario:${s.name}}`, condition: "count<1", route, kind: "dropped", level: s.key });
  }
  return specs;
}

/** Custom k6 trend: when each successful (status 200) response ended, ms after its level started
 *  (its count and max give ok and lastOkSeconds). */
export const OK_END = "ldtext_ok_end";
/** Custom k6 metric: responses the server's response cache answered. */
export const CACHED = "ldtext_cached";

/** k6 `options` for a plan: one constant-arrival-rate scenario per level (VUs from vusFor, all
 *  pre-allocated), the thresholds of thresholdSpecs, and always-true thresholds that make k6
 *  report the per-level submetrics the summary needs. */
export function k6Options(planned, thresholds, execName) {
  const scenarios = {};
  const k6Thresholds = {};
  const timeout = planned.profile.timeoutSeconds;
  for (const s of planned.plan) {
    scenarios[s.name] = {
      executor: "constant-arrival-rate",
      exec: execName,
      ...k6Rate(s.rate),
      duration: `${s.seconds}s`,
      startTime: `${s.startSeconds}s`,
      preAllocatedVUs: s.vus,
      maxVUs: s.vus,
      // Requests end within the timeout; never cut one short.
      gracefulStop: `${timeout + 1}s`,
      tags: { route: s.route, load: s.load, level: s.key },
    };
  }
  for (const t of thresholdSpecs(planned, thresholds)) (k6Thresholds[t.metric] ??= []).push(t.condition);
  for (const s of planned.plan) {
    k6Thresholds[`http_req_duration{level:${s.key}}`] = ["max>=0"];
    k6Thresholds[`http_req_failed{level:${s.key}}`] = ["rate>=0"];
    k6Thresholds[`http_reqs{level:${s.key}}`] = ["count>=0"];
    k6Thresholds[`${OK_END}{level:${s.key}}`] = ["max>=0"];
    k6Thresholds[`${CACHED}{level:${s.key}}`] = ["count>=0"];
    k6Thresholds[`checks{level:${s.key}}`] = ["rate>=0"];
    if (s.load !== "steady") k6Thresholds[`dropped_iterations{scenario:${s.name}}`] = ["count>=0"];
  }
  return { scenarios, thresholds: k6Thresholds, summaryTrendStats: ["avg", "min", "med", "max", "p(50)", "p(95)", "p(99)", "count"] };
}

/** Percentile as k6 computes it for trends: linear interpolation at rank p/100 · (n − 1) of an
 *  ascending array (null when empty). */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  if (sorted.length === 1) return sorted[0];
  const i = (p / 100) * (sorted.length - 1);
  const lo = sorted[Math.floor(i)];
  const hi = sorted[Math.ceil(i)];
  return lo + (hi - lo) * (i - Math.floor(i));
}

const NO_LATENCY = { p50: null, p95: null, p99: null, mean: null, max: null };

/**
 * Achieved rate: successful responses over the level's window, from its start to its last
 * successful response but at least its nominal seconds. It can't exceed the offered rate (at most
 * rate × seconds successes over at least seconds); while the server keeps up it is the offered rate
 * less about latency/seconds; past saturation it is what the server completed per second.
 */
export function achievedRps(ok, lastOkSeconds, seconds) {
  return ok === 0 ? 0 : ok / Math.max(seconds, lastOkSeconds);
}

/** The measured fields of a level from counts. */
export function levelResult(s, { sent, dropped, failed, cached, ok, lastOkSeconds, checksPassed, checksTotal, latencyMs }) {
  return {
    key: s.key,
    scenario: s.name,
    route: s.route,
    load: s.load,
    rate: s.rate,
    seconds: s.seconds,
    startSeconds: s.startSeconds,
    vus: s.vus,
    offered: offeredOf(s),
    sent,
    dropped,
    failed,
    cached,
    ok,
    lastOkSeconds,
    achievedRps: achievedRps(ok, lastOkSeconds, s.seconds),
    checksPassed,
    checksTotal,
    latencyMs: sent > 0 && latencyMs ? latencyMs : NO_LATENCY,
  };
}

/**
 * A level from per-request records (the npm runner): { latencyMs, status, endMs (since the level
 * started), checks: { name: pass } }, plus the arrivals dropped for want of a free VU.
 */
export function levelFromRecords(s, records, dropped) {
  const sorted = records.map((r) => r.latencyMs).sort((a, b) => a - b);
  let failed = 0;
  let cached = 0;
  let ok = 0;
  let lastOkMs = 0;
  let checksPassed = 0;
  let checksTotal = 0;
  for (const r of records) {
    if (!(r.status >= 200 && r.status < 400)) failed++;
    if (r.status === 200) {
      ok++;
      lastOkMs = Math.max(lastOkMs, r.endMs);
    }
    if (r.cached) cached++;
    for (const ok of Object.values(r.checks)) {
      checksTotal++;
      if (ok) checksPassed++;
    }
  }
  const n = sorted.length;
  return levelResult(s, {
    sent: n,
    dropped,
    failed,
    cached,
    ok,
    lastOkSeconds: lastOkMs / 1000,
    checksPassed,
    checksTotal,
    latencyMs: n === 0 ? null : { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), mean: sorted.reduce((a, b) => a + b, 0) / n, max: sorted[n - 1] },
  });
}

/**
 * Judges thresholdSpecs against measured levels. `steadyLatencies[route]` are the p95/p99 over all
 * steady requests of the route; `verdicts[metric][condition]` (k6's own, when known) win over the
 * value comparison. Rows: { name, route, condition, value, pass }.
 */
export function evaluateThresholds(specs, levels, steadyLatencies, verdicts = {}) {
  return specs.map((t) => {
    const steady = levels.filter((l) => l.route === t.route && l.load === "steady");
    let value = null;
    let pass = false;
    const limit = Number(t.condition.replace(/^[^<>]*[<>]=?/, ""));
    if (t.kind === "failed") {
      const sent = steady.reduce((a, l) => a + l.sent, 0);
      value = sent === 0 ? null : steady.reduce((a, l) => a + l.failed, 0) / sent;
      pass = value !== null && value < limit;
    } else if (t.kind === "checks") {
      const total = steady.reduce((a, l) => a + l.checksTotal, 0);
      value = total === 0 ? null : steady.reduce((a, l) => a + l.checksPassed, 0) / total;
      pass = value !== null && value > limit;
    } else if (t.kind === "p95" || t.kind === "p99") {
      const lat = steadyLatencies[t.route];
      value = lat ? lat[t.kind] : null;
      pass = value !== null && value < limit;
    } else if (t.kind === "dropped") {
      const l = levels.find((x) => x.key === t.level);
      value = l ? l.dropped : null;
      pass = value !== null && value < limit;
    }
    const k6 = verdicts[t.metric] && verdicts[t.metric][t.condition];
    if (k6 !== undefined) pass = k6;
    return { name: t.metric, route: t.route, condition: t.condition, value, pass };
  });
}

/** Whether a level met the thresholds' failure budget (failed + dropped over offered) and the
 *  route's p95 bound. */
export function levelSustained(l, thresholds) {
  const bound = thresholds.p95Ms[l.route];
  const offered = Math.max(l.offered, l.sent + l.dropped);
  return l.sent > 0 && (l.failed + l.dropped) / offered < thresholds.failedRate && l.latencyMs.p95 !== null && (bound === undefined || l.latencyMs.p95 <= bound);
}

/**
 * Saturation per route: the highest offered rate whose level (steady or ramp) still met the
 * failure budget and p95 ≤ the route's bound, and the best achieved rate of any level.
 */
export function findSaturation(levels, thresholds) {
  const out = {};
  for (const route of new Set(levels.map((l) => l.route))) {
    const mine = levels.filter((l) => l.route === route).sort((a, b) => a.rate - b.rate);
    let sustained = null;
    for (const l of mine) if (levelSustained(l, thresholds)) sustained = sustained === null ? l.rate : Math.max(sustained, l.rate);
    out[route] = { sustainedRps: sustained, p95BoundMs: thresholds.p95Ms[route] ?? null, peakAchievedRps: Math.max(0, ...mine.map((l) => l.achievedRps)) };
  }
  return out;
}

/**
 * The summary document both tools write:
 * { schema, tool, target, profile, plan, seed, startedAt, durationSeconds, levels[], saturation{},
 *   thresholds[], pass, environment? }.
 */
export function buildSummary({ tool, target, profile, planned, seed, startedAt, durationSeconds, levels, steadyLatencies, thresholds, verdicts }) {
  const rows = evaluateThresholds(thresholdSpecs(planned, thresholds), levels, steadyLatencies, verdicts);
  const p = planned.profile;
  return {
    schema: "ldtext-loadtest-summary/2",
    tool,
    target,
    profile,
    plan: { steadyRates: p.steadyRates, steadySeconds: p.steadySeconds, rampRates: p.rampRates, rampSeconds: p.rampSeconds, drainSeconds: p.drainSeconds, timeoutSeconds: p.timeoutSeconds, steps: p.steps ?? "mix 10/25/50", vus: p.vus ?? "rate × timeout + 1", warmupRequests: p.warmupRequests },
    seed,
    startedAt,
    durationSeconds,
    limits: { failedRate: thresholds.failedRate, p95Ms: thresholds.p95Ms, p99Ms: thresholds.p99Ms },
    levels,
    steadyLatencyMs: steadyLatencies,
    saturation: findSaturation(levels, thresholds),
    thresholds: rows,
    pass: rows.length > 0 && rows.every((r) => r.pass),
  };
}

/** One summary from several (k6 runs one script per route): levels and rows concatenated. */
export function mergeSummaries(summaries) {
  if (summaries.length === 0) throw new Error("nothing to merge");
  const [first] = summaries;
  const levels = summaries.flatMap((s) => s.levels);
  const rows = summaries.flatMap((s) => s.thresholds);
  return {
    ...first,
    durationSeconds: summaries.reduce((a, s) => a + s.durationSeconds, 0),
    seed: first.seed,
    levels,
    steadyLatencyMs: Object.assign({}, ...summaries.map((s) => s.steadyLatencyMs)),
    saturation: Object.assign({}, ...summaries.map((s) => s.saturation)),
    thresholds: rows,
    pass: summaries.every((s) => s.pass),
  };
}

function fmt(v, digits = 1) {
  return v === null || v === undefined ? "—" : Number(v).toFixed(digits);
}

function thresholdValue(t) {
  if (t.value === null || t.value === undefined) return "—";
  if (t.name.startsWith("http_req_failed") || t.name.startsWith("checks")) return `${fmt(t.value * 100, 2)} %`;
  if (t.name.startsWith("dropped_iterations")) return String(t.value);
  return `${fmt(t.value)} ms`;
}

/** Human-readable table of a summary. */
export function formatSummaryText(s) {
  const p = s.plan;
  const lines = [
    `load test (${s.tool}, profile ${s.profile}) against ${s.target}: ${fmt(s.durationSeconds)} s, seed ${s.seed}`,
    `plan: steady ${p.steadyRates.join(",") || "—"} req/s × ${p.steadySeconds} s, ramp ${p.rampRates.join(",") || "—"} req/s × ${p.rampSeconds} s, ${p.drainSeconds} s drain between levels, timeout ${p.timeoutSeconds} s, steps ${p.steps}, ${p.warmupRequests} warm-up requests per route`,
  ];
  if (s.environment) lines.push(`machine: ${s.environment.cpuModel} × ${s.environment.cpus}, load average ${s.environment.loadAverageStart.map((x) => x.toFixed(2)).join(" ")} at start, ${s.environment.loadAverageEnd.map((x) => x.toFixed(2)).join(" ")} at end`);
  if (s.environment && s.environment.server) lines.push(`server: ${s.environment.server}`);
  lines.push("", "level                  offered   sent  dropped  failed  achieved/s   p50 ms   p95 ms   p99 ms  VUs");
  for (const l of s.levels) {
    lines.push(
      `${l.key.padEnd(22)} ${String(l.offered).padStart(7)} ${String(l.sent).padStart(6)} ${String(l.dropped).padStart(8)} ${String(l.failed).padStart(7)} ${fmt(l.achievedRps, 2).padStart(11)} ${fmt(l.latencyMs.p50).padStart(8)} ${fmt(l.latencyMs.p95).padStart(8)} ${fmt(l.latencyMs.p99).padStart(8)} ${String(l.vus).padStart(4)}`,
    );
  }
  const cached = s.levels.reduce((a, l) => a + l.cached, 0);
  if (cached > 0) lines.push(`${cached} responses came from the server's response cache (a repeated seed?)`);
  lines.push("");
  for (const [route, sat] of Object.entries(s.saturation)) {
    lines.push(`${route}: sustained ${sat.sustainedRps === null ? "no level" : `${sat.sustainedRps} req/s`} (highest level with failed + dropped < ${fmt(s.limits.failedRate * 100, 0)} % of offered and p95 ≤ ${sat.p95BoundMs} ms); peak achieved ${fmt(sat.peakAchievedRps, 2)} req/s`);
  }
  lines.push("");
  for (const t of s.thresholds) lines.push(`${t.pass ? "✓" : "✗"} ${t.name} ${t.condition} (value ${thresholdValue(t)})`);
  lines.push("", s.pass ? "PASS" : "FAIL: a threshold failed");
  return lines.join("\n");
}

/** Converts k6's handleSummary `data` into the shared summary shape. */
export function summaryFromK6(data, planned, { target, profile, thresholds }) {
  const metric = (name) => (data.metrics[name] ? data.metrics[name].values : undefined);
  const levels = planned.plan.map((s) => {
    const d = metric(`http_req_duration{level:${s.key}}`);
    const count = metric(`http_reqs{level:${s.key}}`);
    const failedRate = metric(`http_req_failed{level:${s.key}}`);
    const checks = metric(`checks{level:${s.key}}`);
    const sent = count ? count.count : 0;
    const failed = failedRate ? (failedRate.passes ?? Math.round(failedRate.rate * sent)) : 0;
    // k6 sometimes starts one more iteration at the scenario's last instant (not sent, see
    // k6-script.js); when no VU is free for it, it shows up as one more drop than was offered.
    const dropped = Math.min((metric(`dropped_iterations{scenario:${s.name}}`) || { count: 0 }).count, Math.max(0, offeredOf(s) - sent));
    return levelResult(s, {
      sent,
      dropped,
      failed,
      cached: (metric(`${CACHED}{level:${s.key}}`) || { count: 0 }).count,
      ok: (metric(`${OK_END}{level:${s.key}}`) || { count: 0 }).count || 0,
      lastOkSeconds: ((metric(`${OK_END}{level:${s.key}}`) || { max: 0 }).max || 0) / 1000,
      checksPassed: checks ? (checks.passes ?? 0) : 0,
      checksTotal: checks ? (checks.passes ?? 0) + (checks.fails ?? 0) : 0,
      latencyMs: d ? { p50: d["p(50)"], p95: d["p(95)"], p99: d["p(99)"], mean: d.avg, max: d.max } : null,
    });
  });
  const steadyLatencies = {};
  const verdicts = {};
  for (const route of new Set(planned.plan.map((s) => s.route))) {
    const d = metric(`http_req_duration{route:${route},load:steady}`);
    steadyLatencies[route] = d ? { p50: d["p(50)"], p95: d["p(95)"], p99: d["p(99)"] } : { p50: null, p95: null, p99: null };
  }
  for (const t of thresholdSpecs(planned, thresholds)) {
    const m = data.metrics[t.metric];
    const v = m && m.thresholds && m.thresholds[t.condition];
    if (v && typeof v.ok === "boolean") (verdicts[t.metric] ??= {})[t.condition] = v.ok;
  }
  const seed = data.setup_data && data.setup_data.seed !== undefined ? data.setup_data.seed : null;
  // setup() runs at the start; handleSummary's own init context runs at the end.
  const startedAt = data.setup_data && data.setup_data.startedAt ? data.setup_data.startedAt : null;
  return buildSummary({ tool: "k6", target, profile, planned, seed, startedAt, durationSeconds: data.state.testRunDurationMs / 1000, levels, steadyLatencies, thresholds, verdicts });
}
