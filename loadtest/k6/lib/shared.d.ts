// Types of shared.js (kept by hand beside it; the JS stays plain so k6 can load it).
export type Route = "generate" | "summarize";

export interface Profile {
  steadyRates: number[];
  steadySeconds: number;
  rampRates: number[];
  rampStepSeconds: number;
  maxVUs: number;
}
export declare const PROFILES: Record<"smoke" | "default", Profile>;
export declare const ROUTES: Route[];

export interface Thresholds {
  failedRate: number;
  p95Ms: Partial<Record<Route, number>>;
  p99Ms: Partial<Record<Route, number>>;
}
export declare const DEFAULT_THRESHOLDS: Thresholds;

export interface SteadyScenario {
  name: string;
  route: Route;
  load: "steady";
  rate: number;
  startSeconds: number;
  seconds: number;
}
export interface RampScenario {
  name: string;
  route: Route;
  load: "ramp";
  rates: number[];
  stepSeconds: number;
  startSeconds: number;
  seconds: number;
}
export type Scenario = SteadyScenario | RampScenario;
export interface Planned {
  profile: Profile;
  plan: Scenario[];
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
export interface LevelSpec {
  key: string;
  route: Route;
  load: "steady" | "ramp";
  rate: number;
  seconds: number;
}
export interface Level extends LevelSpec {
  requests: number;
  failed: number;
  throughputRps: number;
  latencyMs: Latency & { mean: number | null; max: number | null };
}
export interface RouteTotals {
  steady: { requests: number; failed: number; latencyMs: Latency };
}
export interface ThresholdRow {
  name: string;
  route?: Route;
  condition: string;
  value: number | null;
  pass: boolean;
}
export interface Summary {
  schema: "ldtext-loadtest-summary/1";
  tool: "k6" | "autocannon";
  target: string;
  profile: string;
  startedAt: string;
  durationSeconds: number;
  levels: Level[];
  routes: Partial<Record<Route, RouteTotals>>;
  saturation: Partial<Record<Route, { sustainedRps: number | null; peakThroughputRps: number }>>;
  thresholds: ThresholdRow[];
  pass: boolean;
}

export declare function makeRng(seed: number): () => number;
export declare function makeBody(route: "generate", rng: () => number, documents?: string[]): GenerateBody;
export declare function makeBody(route: "summarize", rng: () => number, documents: string[]): SummarizeBody;
export declare function makeBody(route: Route, rng: () => number, documents: string[]): GenerateBody | SummarizeBody;
export declare function planScenarios(profileName: string, routes: string[]): Planned;
export declare function rampLevel(scenario: RampScenario, elapsedSeconds: number): number;
export declare function k6Options(planned: Planned, thresholds: Thresholds, execName: string): Record<string, unknown>;
export declare function levelsOf(planned: Planned): LevelSpec[];
export declare function percentile(sorted: number[], p: number): number | null;
export declare function evaluateThresholds(routes: Partial<Record<Route, RouteTotals>>, thresholds: Thresholds): ThresholdRow[];
export declare function findSaturation(levels: Level[], thresholds: Thresholds): Summary["saturation"];
export declare function routeTotals(levels: Level[], steadyLatencies: Partial<Record<Route, Latency>>): Partial<Record<Route, RouteTotals>>;
export declare function buildSummary(args: {
  tool: Summary["tool"];
  target: string;
  profile: string;
  startedAt: string;
  durationSeconds: number;
  levels: Level[];
  steadyLatencies: Partial<Record<Route, Latency>>;
  thresholds: Thresholds;
}): Summary;
export declare function formatSummaryText(summary: Summary): string;
export declare function summaryFromK6(
  data: { metrics: Record<string, { values: Record<string, number> } | undefined>; state: { testRunDurationMs: number } },
  planned: Planned,
  meta: { target: string; profile: string; startedAt: string; thresholds: Thresholds },
): Summary;
