// The body of the k6 scripts (generate.js, summarize.js): one exec function for every scenario of
// the plan, tagging each request with its load level, and handleSummary writing the shared JSON
// summary plus a text table. k6-only: imports k6 modules.
import http from "k6/http";
import exec from "k6/execution";
import { DEFAULT_THRESHOLDS, k6Options, makeBody, makeRng, planScenarios, rampLevel, formatSummaryText, summaryFromK6 } from "./shared.js";

export function makeScript(routes, documents, name) {
  const target = (__ENV.BASE_URL || "http://127.0.0.1:8080").replace(/\/+$/, "");
  const profile = __ENV.PROFILE || "default";
  const resultsDir = __ENV.RESULTS_DIR || "loadtest/results";
  const planned = planScenarios(profile, routes);
  const thresholds = DEFAULT_THRESHOLDS;
  const headers = { "content-type": "application/json" };
  if (__ENV.API_KEY) headers.authorization = `Bearer ${__ENV.API_KEY}`;
  const startedAt = new Date().toISOString();
  let rng = null;

  const options = k6Options(planned, thresholds, "run");

  function run() {
    // One generator per VU, seeded from the run seed and the VU id: reproducible bodies.
    if (rng === null) rng = makeRng((Number(__ENV.SEED || 1) * 7919 + exec.vu.idInTest) >>> 0);
    const s = planned.plan.find((p) => p.name === exec.scenario.name);
    const level = s.load === "steady" ? `${s.route}-steady-${s.rate}` : `${s.route}-ramp-${rampLevel(s, (Date.now() - exec.scenario.startTime) / 1000)}`;
    http.post(`${target}/${s.route}`, JSON.stringify(makeBody(s.route, rng, documents)), {
      headers,
      timeout: "120s",
      tags: { level, route: s.route, load: s.load, name: `POST /${s.route}` },
    });
  }

  function handleSummary(data) {
    const summary = summaryFromK6(data, planned, { target, profile, startedAt, thresholds });
    const text = formatSummaryText(summary);
    return {
      stdout: `${text}\n`,
      [`${resultsDir}/k6-${name}-summary.json`]: `${JSON.stringify(summary, null, 2)}\n`,
      [`${resultsDir}/k6-${name}-summary.txt`]: `${text}\n`,
    };
  }

  return { options, run, handleSummary };
}
