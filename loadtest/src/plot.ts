// Latency against the offered rate, one curve per route and percentile (and per tool when several
// summaries are drawn together, e.g. k6 beside the npm runner); the p95 points are labelled with
// the achieved rate, so where the curve bends up and achieved falls behind offered is saturation.
import { writeScatterChart, type ScatterSeries, type WrittenChart } from "@ldtext/charts";
import type { Route, Summary } from "../k6/lib/shared.js";

export interface SeriesChoice {
  /** Only these routes (default: all). */
  routes?: Route[];
  percentiles?: ("p50" | "p95" | "p99")[];
}

export function latencySeries(summaries: Summary[], choice: SeriesChoice = {}): ScatterSeries[] {
  const series: ScatterSeries[] = [];
  const tagTool = summaries.length > 1;
  for (const summary of summaries) {
    for (const route of [...new Set(summary.levels.map((l) => l.route))].filter((r) => !choice.routes || choice.routes.includes(r))) {
      for (const p of choice.percentiles ?? (["p50", "p95", "p99"] as const)) {
        const points = summary.levels
          .filter((l) => l.route === route && l.sent > 0 && l.latencyMs[p] !== null)
          .map((l) => ({ x: l.rate, y: l.latencyMs[p]!, label: p === "p95" && !tagTool ? `${l.achievedRps.toFixed(1)}/s` : undefined }));
        if (points.length > 0) series.push({ name: `${tagTool ? `${summary.tool} ` : ""}${route} ${p}`, points });
      }
    }
  }
  return series;
}

export async function writeLatencyChart(summaries: Summary[], pathWithoutExt: string, title?: string, choice: SeriesChoice = {}): Promise<WrittenChart | null> {
  const series = latencySeries(summaries, choice);
  if (series.length === 0) return null;
  const first = summaries[0];
  return writeScatterChart(pathWithoutExt, {
    title: title ?? `Latency vs offered rate (${summaries.map((s) => s.tool).join(" and ")}, profile ${first.profile}, steps ${first.plan.steps})`,
    xLabel: "offered rate (requests/s, log scale)" + (summaries.length === 1 ? "; p95 points labelled with the achieved rate" : ""),
    yLabel: "latency (ms, log scale)",
    series,
    logX: true,
    logY: true,
  });
}
