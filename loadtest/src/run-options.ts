// The command-line options both load runners share (`npm run loadtest` and `npm run loadtest:k6`):
// what to hit, which plan (profile plus per-level overrides), where the models and results live,
// and the run seed / API key. The plan flags become the k6 scripts' environment variables, which
// both runners parse with the same overridesFromEnv, so a flag means the same in both.
import { join } from "node:path";
import { overridesFromEnv, runSeed, thresholdsFromEnv, type PlanOverrides, type Planned, type Thresholds } from "../k6/lib/shared.js";

const repoRoot = new URL("../../", import.meta.url).pathname;

export const RUN_OPTIONS = {
  url: { type: "string" },
  profile: { type: "string", default: "default" },
  routes: { type: "string", default: "generate,summarize" },
  models: { type: "string", default: join(repoRoot, "models") },
  out: { type: "string", default: join(repoRoot, "loadtest/results") },
  /** Run seed; default a fresh one per run (printed), so the response cache can't answer. */
  seed: { type: "string" },
  "api-key": { type: "string", default: process.env.LDTEXT_API_KEY },
  /** Steady rates, "1,2,4". */
  levels: { type: "string" },
  /** Ramp rates past saturation, "16,32", or "none". */
  ramp: { type: "string" },
  /** Seconds per steady level. */
  seconds: { type: "string" },
  "ramp-seconds": { type: "string" },
  /** Pause between levels. */
  drain: { type: "string" },
  /** Request timeout (and Little's-law time for the VU count). */
  timeout: { type: "string" },
  /** Denoising steps of every request (default: the 10/25/50 mix). */
  steps: { type: "string" },
  /** VUs per level instead of rate × timeout + 1. */
  vus: { type: "string" },
  /** Unmeasured requests per route before the first level. */
  warmup: { type: "string" },
  /** Thresholds: failed-request rate, p95/p99 per route ("generate=2000,summarize=4000"). */
  "failed-rate": { type: "string" },
  p95: { type: "string" },
  p99: { type: "string" },
} as const;

/** The plan and threshold flags as the k6 scripts' environment variables (only those given). */
export function planEnv(values: Partial<Record<"levels" | "ramp" | "seconds" | "ramp-seconds" | "drain" | "timeout" | "steps" | "vus" | "warmup" | "failed-rate" | "p95" | "p99", string>>): Record<string, string> {
  const env: Record<string, string> = {};
  const map = { levels: "LEVELS", ramp: "RAMP", seconds: "LEVEL_SECONDS", "ramp-seconds": "RAMP_SECONDS", drain: "DRAIN_SECONDS", timeout: "TIMEOUT_SECONDS", steps: "STEPS", vus: "VUS", warmup: "WARMUP", "failed-rate": "FAILED_RATE", p95: "P95_MS", p99: "P99_MS" } as const;
  for (const [flag, name] of Object.entries(map)) {
    const v = values[flag as keyof typeof map];
    if (v !== undefined) env[name] = v;
  }
  return env;
}

/** Plan overrides from the flags (throws on a bad value, naming the variable). */
export function planOverrides(values: Parameters<typeof planEnv>[0]): PlanOverrides {
  return overridesFromEnv(planEnv(values));
}

/** Thresholds from the flags (throws on a bad value, naming the variable). */
export function thresholdsFrom(values: Parameters<typeof planEnv>[0]): Thresholds {
  return thresholdsFromEnv(planEnv(values));
}

/** The run seed from --seed, or a fresh one. */
export function seedFrom(raw: string | undefined): number {
  return runSeed(raw);
}

/**
 * The environment of a server the runner starts itself: defaults, except that it refuses at once
 * (429) what it estimates it can't finish within half the client's timeout. With the default 20 s
 * admission deadline and a 10 s client timeout, an overloaded server queues work its clients have
 * already given up on, and throughput past saturation collapses to what happens to finish in time
 * (measured: 50 steps at 2 req/s, 0.2–0.4 of 1 req/s achieved). Returns the env and a description.
 */
export function serverEnvFor(planned: Planned): { env: Record<string, string>; description: string } {
  const ms = Math.round(planned.profile.timeoutSeconds * 500);
  return { env: { ADMISSION_DEADLINE_MS: String(ms) }, description: `started by the runner: ADMISSION_DEADLINE_MS=${ms} (half the client timeout), other settings default` };
}
