// The npm-only load test: the k6 plan (loadtest/k6/lib/shared.js) run level by level through
// autocannon, summarised in the same JSON shape as k6's handleSummary, plus a latency/throughput
// plot. Bounded: the plan's duration and request count are checked against the limits up front.
import { DEFAULT_THRESHOLDS, buildSummary, levelsOf, makeRng, percentile, planScenarios, type Latency, type Level, type Route, type Summary, type Thresholds } from "../k6/lib/shared.js";
import { runLevel } from "./levels.ts";

export interface LoadtestOptions {
  url: string;
  profile: string;
  routes: Route[];
  documents: string[];
  thresholds?: Thresholds;
  maxRequests: number;
  maxSeconds: number;
  seed: number;
  apiKey?: string;
  onLevel?: (level: Level, index: number, total: number) => void;
}

export class BudgetError extends Error {
  override name = "BudgetError";
}

/** Checks a plan against the time and request limits before anything is sent. */
export function checkBudget(profile: string, routes: Route[], maxSeconds: number, maxRequests: number) {
  const planned = planScenarios(profile, routes);
  const levels = levelsOf(planned);
  const requests = levels.reduce((s, l) => s + Math.ceil(l.rate * l.seconds), 0);
  if (planned.totalSeconds > maxSeconds) {
    throw new BudgetError(`profile ${profile} runs ${planned.totalSeconds} s for ${routes.join("+")}, over --max-seconds ${maxSeconds}`);
  }
  if (requests > maxRequests) {
    throw new BudgetError(`profile ${profile} offers ${requests} requests for ${routes.join("+")}, over --max-requests ${maxRequests}`);
  }
  return { planned, levels, requests };
}

export async function runLoadtest(o: LoadtestOptions): Promise<Summary> {
  const thresholds = o.thresholds ?? DEFAULT_THRESHOLDS;
  const { planned, levels } = checkBudget(o.profile, o.routes, o.maxSeconds, o.maxRequests);
  const rng = makeRng(o.seed);
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const measured: Level[] = [];
  const steady = new Map<Route, number[]>();
  for (const [i, spec] of levels.entries()) {
    const { level, latencies } = await runLevel({
      url: o.url,
      spec,
      rng,
      documents: o.documents,
      connections: planned.profile.maxVUs,
      apiKey: o.apiKey,
      maxRequests: Math.ceil(spec.rate * spec.seconds),
    });
    measured.push(level);
    if (spec.load === "steady") steady.set(spec.route, [...(steady.get(spec.route) ?? []), ...latencies]);
    o.onLevel?.(level, i, levels.length);
  }
  const steadyLatencies: Partial<Record<Route, Latency>> = {};
  for (const [route, lat] of steady) {
    const sorted = lat.sort((a, b) => a - b);
    steadyLatencies[route] = { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
  }
  return buildSummary({ tool: "autocannon", target: o.url, profile: o.profile, startedAt, durationSeconds: (performance.now() - t0) / 1000, levels: measured, steadyLatencies, thresholds });
}
