// The npm-only load test: the k6 plan (loadtest/k6/lib/shared.js) run by levels.ts's Node version
// of constant-arrival-rate, each level at its planned start (the same drain gaps as k6), summarised
// in the same JSON shape as k6's handleSummary. Bounded: the plan's duration and request count are
// checked against the limits up front.
import { DEFAULT_THRESHOLDS, buildSummary, makeBody, offeredOf, percentile, planScenarios, type Latency, type Level, type PlanOverrides, type Route, type Summary, type Thresholds, requestRng } from "../k6/lib/shared.js";
import { runLevel, type LevelRun } from "./levels.ts";

export interface LoadtestOptions {
  url: string;
  profile: string;
  routes: Route[];
  overrides?: PlanOverrides;
  documents: string[];
  thresholds?: Thresholds;
  maxRequests: number;
  maxSeconds: number;
  /** The run seed (runSeed: given or fresh). */
  seed: number;
  apiKey?: string;
  onLevel?: (level: Level, index: number, total: number) => void;
}

export class BudgetError extends Error {
  override name = "BudgetError";
}

/** Checks a plan against the time and request limits before anything is sent. */
export function checkBudget(profile: string, routes: Route[], maxSeconds: number, maxRequests: number, overrides: PlanOverrides = {}) {
  const planned = planScenarios(profile, routes, overrides);
  const requests = planned.plan.reduce((s, l) => s + offeredOf(l), 0);
  if (planned.totalSeconds > maxSeconds) {
    throw new BudgetError(`profile ${profile} runs ${planned.totalSeconds} s for ${routes.join("+")}, over --max-seconds ${maxSeconds}`);
  }
  if (requests > maxRequests) {
    throw new BudgetError(`profile ${profile} offers ${requests} requests for ${routes.join("+")}, over --max-requests ${maxRequests}`);
  }
  return { planned, levels: planned.plan, requests };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

export async function runLoadtest(o: LoadtestOptions): Promise<Summary> {
  const thresholds = o.thresholds ?? DEFAULT_THRESHOLDS;
  const { planned } = checkBudget(o.profile, o.routes, o.maxSeconds, o.maxRequests, o.overrides);
  // Warm-up, as the k6 scripts' setup(): one request at a time per route, not measured.
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
  for (const route of o.routes) {
    for (let i = 0; i < planned.profile.warmupRequests; i++) {
      const body = JSON.stringify(makeBody(route, requestRng(o.seed, `warmup-${route}`, i), o.documents, planned.profile.steps));
      await fetch(`${o.url}/${route}`, { method: "POST", headers, body, signal: AbortSignal.timeout(planned.profile.timeoutSeconds * 1000) }).then((r) => r.arrayBuffer()).catch(() => undefined);
    }
  }
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const runs: Promise<LevelRun>[] = [];
  let done = 0;
  for (const spec of planned.plan) {
    // Like k6's startTime: a level starts on schedule, whether or not the last one's requests ended.
    await sleep(t0 + spec.startSeconds * 1000 - performance.now());
    const run = runLevel({ url: o.url, spec, seed: o.seed, documents: o.documents, timeoutSeconds: planned.profile.timeoutSeconds, steps: planned.profile.steps, apiKey: o.apiKey });
    runs.push(run.then((r) => (o.onLevel?.(r.level, done++, planned.plan.length), r)));
  }
  const measured = await Promise.all(runs);
  const steadyLatencies: Partial<Record<Route, Latency>> = {};
  for (const route of o.routes) {
    const lat = measured.filter((r) => r.level.route === route && r.level.load === "steady").flatMap((r) => r.latencies).sort((a, b) => a - b);
    steadyLatencies[route] = { p50: percentile(lat, 50), p95: percentile(lat, 95), p99: percentile(lat, 99) };
  }
  return buildSummary({
    tool: "node",
    target: o.url,
    profile: o.profile,
    planned,
    seed: o.seed,
    startedAt,
    durationSeconds: (performance.now() - t0) / 1000,
    levels: measured.map((r) => r.level),
    steadyLatencies,
    thresholds,
  });
}
