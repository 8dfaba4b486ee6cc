// Types of shared.js (kept by hand beside it; the JS stays plain so k6 can load it).
export type Route = "generate" | "summarize";
export type Load = "steady" | "ramp";

export interface Profile {
  steadyRates: number[];
  steadySeconds: number;
  rampRates: number[];
  rampSeconds: number;
  drainSeconds: number;
  timeoutSeconds: number;
  /** Requests per route sent one at a time before the first level, not measured. */
  warmupRequests: number;
}
/** A profile with the run's overrides applied. */
export interface PlanProfile extends Profile {
  /** Denoising steps of every request; null = the 10/25/50 mix. */
  steps: number | null;
  /** VUs per level; null = vusFor(rate, timeoutSeconds). */
  vus: number | null;
}
export type PlanOverrides = Partial<Omit<PlanProfile, "steps" | "vus">> & { steps?: number; vus?: number };

export declare const PROFILES: Record<"smoke" | "default", Profile>;
export declare const ROUTES: Route[];
export declare const MAX_VUS: number;
export declare const CHECKS: string[];
export declare const OK_END: string;
export declare const CACHED: string;

export interface Thresholds {
  failedRate: number;
  p95Ms: Partial<Record<Route, number>>;
  p99Ms: Partial<Record<Route, number>>;
}
export declare const DEFAULT_THRESHOLDS: Thresholds;

/** One load level: its own constant-arrival-rate scenario. */
export interface LevelScenario {
  name: string;
  key: string;
  route: Route;
  load: Load;
  rate: number;
  startSeconds: number;
  seconds: number;
  vus: number;
}
export interface Planned {
  profile: PlanProfile;
  plan: LevelScenario[];
  totalSeconds: number;
}

export interface GenerateBody {
  n: number;
  steps: number;
  sampler: "ddim" | "sde" | "ode";
  seed: number;
}
export interface SummarizeBody {
  document: string;
  steps: number;
  sampler: "ddim" | "sde" | "ode";
  seed: number;
  guidance: number;
}

export interface Latency {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}
export interface Level {
  key: string;
  scenario: string;
  route: Route;
  load: Load;
  rate: number;
  seconds: number;
  startSeconds: number;
  vus: number;
  /** Arrivals the level offers: rate × seconds. */
  offered: number;
  /** Requests sent (arrivals that found a free VU). */
  sent: number;
  /** Arrivals dropped for want of a free VU (k6's dropped_iterations). */
  dropped: number;
  /** Sent requests that got no 2xx/3xx (429, 5xx, timeouts, transport errors). */
  failed: number;
  /** Responses the server's response cache answered. */
  cached: number;
  /** Status-200 responses. */
  ok: number;
  /** When the last of them ended, seconds after the level started. */
  lastOkSeconds: number;
  /** achievedRps(ok, lastOkSeconds, seconds): never above the offered rate. */
  achievedRps: number;
  checksPassed: number;
  checksTotal: number;
  latencyMs: Latency & { mean: number | null; max: number | null };
}
export interface ThresholdSpec {
  metric: string;
  condition: string;
  route: Route;
  kind: "failed" | "checks" | "p95" | "p99" | "dropped";
  level?: string;
}
export interface ThresholdRow {
  name: string;
  route: Route;
  condition: string;
  value: number | null;
  pass: boolean;
}
export interface Environment {
  cpuModel: string;
  cpus: number;
  loadAverageStart: number[];
  loadAverageEnd: number[];
  /** How the server was run, when the runner started it. */
  server?: string;
}
export interface Summary {
  schema: "ldtext-loadtest-summary/2";
  tool: "k6" | "node";
  target: string;
  profile: string;
  plan: Profile & {
    steps: number | string;
    vus: number | string;
  };
  seed: number | null;
  startedAt: string | null;
  durationSeconds: number;
  limits: Thresholds;
  levels: Level[];
  steadyLatencyMs: Partial<Record<Route, Latency>>;
  saturation: Partial<Record<Route, { sustainedRps: number | null; p95BoundMs: number | null; peakAchievedRps: number }>>;
  thresholds: ThresholdRow[];
  pass: boolean;
  environment?: Environment;
}
export interface ResponseRecord {
  latencyMs: number;
  status: number;
  /** When the response completed, ms after the level started. */
  endMs: number;
  checks: Record<string, boolean>;
  cached: boolean;
}

export declare function thresholdsFromEnv(env: Record<string, string | undefined>): Thresholds;
export declare function makeRng(seed: number): () => number;
export declare function runSeed(given: string | number | undefined | null, random?: () => number): number;
export declare function requestRng(seed: number, levelKey: string, i: number): () => number;
export declare function makeBody(route: "generate", rng: () => number, documents?: string[], steps?: number | null): GenerateBody;
export declare function makeBody(route: "summarize", rng: () => number, documents: string[], steps?: number | null): SummarizeBody;
export declare function makeBody(route: Route, rng: () => number, documents: string[], steps?: number | null): GenerateBody | SummarizeBody;
export declare function inspectResponse(status: number, bodyText: string | null | undefined): { checks: Record<string, boolean>; cached: boolean };
export declare function k6Rate(rate: number): { rate: number; timeUnit: string };
export declare function vusFor(rate: number, timeoutSeconds: number): number;
export declare function overridesFromEnv(env: Record<string, string | undefined>): PlanOverrides;
export declare function planScenarios(profileName: string, routes: string[], overrides?: PlanOverrides): Planned;
export declare function offeredOf(level: { rate: number; seconds: number }): number;
export declare function thresholdSpecs(planned: Planned, thresholds: Thresholds): ThresholdSpec[];
export declare function k6Options(planned: Planned, thresholds: Thresholds, execName: string): Record<string, unknown>;
export declare function percentile(sorted: number[], p: number): number | null;
export declare function achievedRps(ok: number, lastOkSeconds: number, seconds: number): number;
export declare function levelResult(
  s: LevelScenario,
  counts: { sent: number; dropped: number; failed: number; cached: number; ok: number; lastOkSeconds: number; checksPassed: number; checksTotal: number; latencyMs: Level["latencyMs"] | null },
): Level;
export declare function levelFromRecords(s: LevelScenario, records: ResponseRecord[], dropped: number): Level;
export declare function evaluateThresholds(
  specs: ThresholdSpec[],
  levels: Level[],
  steadyLatencies: Partial<Record<Route, Latency>>,
  verdicts?: Record<string, Record<string, boolean>>,
): ThresholdRow[];
export declare function levelSustained(level: Level, thresholds: Thresholds): boolean;
export declare function findSaturation(levels: Level[], thresholds: Thresholds): Summary["saturation"];
export declare function buildSummary(args: {
  tool: Summary["tool"];
  target: string;
  profile: string;
  planned: Planned;
  seed: number | null;
  startedAt: string;
  durationSeconds: number;
  levels: Level[];
  steadyLatencies: Partial<Record<Route, Latency>>;
  thresholds: Thresholds;
  verdicts?: Record<string, Record<string, boolean>>;
}): Summary;
export declare function mergeSummaries(summaries: Summary[]): Summary;
export declare function formatSummaryText(summary: Summary): string;
export declare function summaryFromK6(
  data: {
    metrics: Record<string, { values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> } | undefined>;
    state: { testRunDurationMs: number };
    setup_data?: { seed?: number; startedAt?: string };
  },
  planned: Planned,
  meta: { target: string; profile: string; thresholds: Thresholds },
): Summary;
