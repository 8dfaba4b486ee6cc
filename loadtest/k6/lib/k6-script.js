// The body of the k6 scripts (generate.js, summarize.js): setup() picks the run seed, one exec
// function serves every level's scenario (the level comes from the scenario's tags, so a request
// belongs to the level that sent it however long it takes), check()s on every response, and
// handleSummary writes the shared JSON summary plus a text table. k6-only: imports k6 modules.
import http from "k6/http";
import exec from "k6/execution";
import { check } from "k6";
import { Counter, Trend } from "k6/metrics";
import { CACHED, CHECKS, OK_END, inspectResponse, formatSummaryText, k6Options, makeBody, offeredOf, overridesFromEnv, planScenarios, runSeed, summaryFromK6, requestRng, thresholdsFromEnv } from "./shared.js";

export function makeScript(routes, documents, name) {
  const target = (__ENV.BASE_URL || "http://127.0.0.1:8080").replace(/\/+$/, "");
  const profile = __ENV.PROFILE || "default";
  const resultsDir = __ENV.RESULTS_DIR || "loadtest/results";
  const planned = planScenarios(profile, routes, overridesFromEnv(__ENV));
  const byName = {};
  for (const s of planned.plan) byName[s.name] = s;
  const thresholds = thresholdsFromEnv(__ENV);
  const headers = { "content-type": "application/json" };
  if (__ENV.API_KEY) headers.authorization = `Bearer ${__ENV.API_KEY}`;
  const timeout = `${planned.profile.timeoutSeconds}s`;
  const okEnd = new Trend(OK_END);
  const cached = new Counter(CACHED);

  const options = k6Options(planned, thresholds, "run");

  function post(route, body) {
    return http.post(`${target}/${route}`, JSON.stringify(body), { headers, timeout, responseType: "text", tags: { name: `POST /${route}` } });
  }

  // Runs once before the load: the seed every VU derives its bodies from (printed; SEED overrides),
  // then the warm-up requests, one at a time (setup's requests carry no level, route or load tag,
  // so no level or threshold counts them).
  function setup() {
    const seed = runSeed(__ENV.SEED);
    console.log(`seed ${seed}${__ENV.SEED ? " (from SEED)" : " (fresh; rerun with SEED=" + seed + " for the same bodies)"}`);
    for (const route of routes) {
      for (let i = 0; i < planned.profile.warmupRequests; i++) post(route, makeBody(route, requestRng(seed, `warmup-${route}`, i), documents, planned.profile.steps));
    }
    return { seed, startedAt: new Date().toISOString() };
  }

  function run(data) {
    const s = byName[exec.scenario.name];
    // k6 may start one more iteration at the scenario's last instant (its timer and the duration's
    // end race); that arrival is past the level's offered ones, so it is not sent.
    const i = exec.scenario.iterationInTest;
    if (i >= offeredOf(s)) return;
    const res = post(s.route, makeBody(s.route, requestRng(data.seed, s.key, i), documents, planned.profile.steps));
    const elapsedMs = Date.now() - exec.scenario.startTime;
    const seen = inspectResponse(res.status, res.body);
    const sets = {};
    for (const c of CHECKS) sets[c] = () => seen.checks[c];
    check(res, sets);
    if (res.status === 200) okEnd.add(elapsedMs);
    if (seen.cached) cached.add(1);
  }

  function handleSummary(data) {
    const summary = summaryFromK6(data, planned, { target, profile, thresholds });
    const text = formatSummaryText(summary);
    return {
      stdout: `${text}\n`,
      [`${resultsDir}/k6-${name}-summary.json`]: `${JSON.stringify(summary, null, 2)}\n`,
      [`${resultsDir}/k6-${name}-summary.txt`]: `${text}\n`,
    };
  }

  return { options, setup, run, handleSummary };
}
