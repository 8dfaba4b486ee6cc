// Side by side: a k6 summary and an npm-runner summary of the same plan, level by level, with the
// tolerance within which they are taken to agree. Levels that either runner did not sustain (the
// failure budget or the p95 bound broken) are past saturation: there the latency depends on how the
// queue built up, so only "sustained or not" is compared, not the figures.
import { levelSustained, type Level, type Summary, type Thresholds } from "../k6/lib/shared.js";

export interface Tolerance {
  /** Achieved rates agree when |a − b| ≤ this × the larger. */
  achievedRel: number;
  /** p50 and p95 agree when |a − b| ≤ max(latencyRel × the larger, latencyAbsMs). */
  latencyRel: number;
  latencyAbsMs: number;
}

/** Stated before the runs: the two runners run one after the other on a shared 2-core machine whose
 *  training run changes the server's speed from minute to minute. p99 is reported, not compared
 *  (a 20 s level has 20–160 requests: its p99 is one or two of them). */
export const TOLERANCE: Tolerance = { achievedRel: 0.1, latencyRel: 0.35, latencyAbsMs: 100 };

export interface LevelComparison {
  key: string;
  rate: number;
  offered: number;
  sent: [number, number];
  dropped: [number, number];
  failed: [number, number];
  achievedRps: [number, number];
  p50: [number | null, number | null];
  p95: [number | null, number | null];
  p99: [number | null, number | null];
  sustained: [boolean, boolean];
  /** null when not compared (past saturation for both). */
  achievedAgrees: boolean | null;
  latencyAgrees: boolean | null;
  agrees: boolean;
}

export interface Comparison {
  tools: [string, string];
  tolerance: Tolerance;
  levels: LevelComparison[];
  sustainedRps: Record<string, [number | null, number | null]>;
  agrees: boolean;
}

function close(a: number | null, b: number | null, rel: number, abs: number): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= Math.max(rel * Math.max(Math.abs(a), Math.abs(b)), abs);
}

export function compareLevels(a: Level, b: Level, limits: Thresholds, tol: Tolerance = TOLERANCE): LevelComparison {
  const sustained: [boolean, boolean] = [levelSustained(a, limits), levelSustained(b, limits)];
  const both = sustained[0] && sustained[1];
  const achievedAgrees = both ? close(a.achievedRps, b.achievedRps, tol.achievedRel, 0) : null;
  const latencyAgrees = both ? close(a.latencyMs.p50, b.latencyMs.p50, tol.latencyRel, tol.latencyAbsMs) && close(a.latencyMs.p95, b.latencyMs.p95, tol.latencyRel, tol.latencyAbsMs) : null;
  return {
    key: a.key,
    rate: a.rate,
    offered: a.offered,
    sent: [a.sent, b.sent],
    dropped: [a.dropped, b.dropped],
    failed: [a.failed, b.failed],
    achievedRps: [a.achievedRps, b.achievedRps],
    p50: [a.latencyMs.p50, b.latencyMs.p50],
    p95: [a.latencyMs.p95, b.latencyMs.p95],
    p99: [a.latencyMs.p99, b.latencyMs.p99],
    sustained,
    achievedAgrees,
    latencyAgrees,
    agrees: sustained[0] === sustained[1] && achievedAgrees !== false && latencyAgrees !== false,
  };
}

export function compareSummaries(a: Summary, b: Summary, tol: Tolerance = TOLERANCE): Comparison {
  const levels: LevelComparison[] = [];
  for (const la of a.levels) {
    const lb = b.levels.find((l) => l.key === la.key);
    if (lb) levels.push(compareLevels(la, lb, a.limits, tol));
  }
  const sustainedRps: Record<string, [number | null, number | null]> = {};
  for (const route of Object.keys(a.saturation)) sustainedRps[route] = [a.saturation[route as keyof typeof a.saturation]!.sustainedRps, b.saturation[route as keyof typeof b.saturation]?.sustainedRps ?? null];
  const agrees = levels.length > 0 && levels.every((l) => l.agrees) && Object.values(sustainedRps).every(([x, y]) => x === y);
  return { tools: [a.tool, b.tool], tolerance: tol, levels, sustainedRps, agrees };
}

const f = (v: number | null, d = 0) => (v === null ? "—" : v.toFixed(d));
const pair = (p: [number | null, number | null], d = 0) => `${f(p[0], d)} / ${f(p[1], d)}`;
const mark = (v: boolean | null) => (v === null ? "n/c" : v ? "yes" : "**no**");

export function comparisonMarkdown(c: Comparison, a: Summary, b: Summary): string {
  const env = (s: Summary) => (s.environment ? `${s.environment.cpuModel} × ${s.environment.cpus}, load average ${s.environment.loadAverageStart[0].toFixed(2)} → ${s.environment.loadAverageEnd[0].toFixed(2)}` : "not recorded");
  const lines = [
    `# ${c.tools[0]} vs ${c.tools[1]}: profile ${a.profile}, steps ${a.plan.steps}`,
    "",
    `Plan: steady ${a.plan.steadyRates.join(", ") || "—"} req/s × ${a.plan.steadySeconds} s, ramp ${a.plan.rampRates.join(", ") || "—"} req/s × ${a.plan.rampSeconds} s, ${a.plan.drainSeconds} s drain, timeout ${a.plan.timeoutSeconds} s. Seeds ${a.seed} / ${b.seed}.`,
    `${c.tools[0]}: started ${a.startedAt}, ${env(a)}. ${c.tools[1]}: started ${b.startedAt}, ${env(b)}.`,
    "",
    `Tolerance (stated before the runs): achieved within ±${c.tolerance.achievedRel * 100} %; p50 and p95 within ±${c.tolerance.latencyRel * 100} % or ±${c.tolerance.latencyAbsMs} ms, whichever is larger; compared only on levels both runners sustained (failed + dropped < ${a.limits.failedRate * 100} % of offered, p95 ≤ the route's bound), elsewhere only sustained-or-not must agree; p99 reported, not compared. n/c = not compared.`,
    "",
    `| level | offered | sent | dropped | failed | achieved/s | p50 ms | p95 ms | p99 ms | sustained | achieved agrees | latency agrees |`,
    `|---|---|---|---|---|---|---|---|---|---|---|---|`,
  ];
  for (const l of c.levels) {
    lines.push(
      `| ${l.key} | ${l.offered} | ${pair(l.sent)} | ${pair(l.dropped)} | ${pair(l.failed)} | ${pair(l.achievedRps, 2)} | ${pair(l.p50)} | ${pair(l.p95)} | ${pair(l.p99)} | ${l.sustained.map((x) => (x ? "yes" : "no")).join(" / ")} | ${mark(l.achievedAgrees)} | ${mark(l.latencyAgrees)} |`,
    );
  }
  lines.push("", `Cells are ${c.tools[0]} / ${c.tools[1]}.`, "");
  for (const [route, [x, y]] of Object.entries(c.sustainedRps)) {
    lines.push(`- **${route}: highest sustained rate ${f(x, 0) === "—" ? "none" : `${x} req/s`} (${c.tools[0]}) / ${f(y, 0) === "—" ? "none" : `${y} req/s`} (${c.tools[1]})** at p95 ≤ ${a.saturation[route as keyof typeof a.saturation]?.p95BoundMs} ms`);
  }
  lines.push("", c.agrees ? "The runners agree within the tolerance." : "The runners do NOT agree within the tolerance on every level (rows marked **no**).");
  return lines.join("\n");
}
