// Latency against achieved throughput, one curve per route and percentile, points labelled with
// the offered rate: where the curve bends up is where the server saturates.
import { writeScatterChart, type ScatterSeries, type WrittenChart } from "@ldtext/charts";
import type { Summary } from "../k6/lib/shared.js";

export function latencySeries(summary: Summary): ScatterSeries[] {
  const series: ScatterSeries[] = [];
  for (const route of Object.keys(summary.routes)) {
    for (const p of ["p50", "p95"] as const) {
      const points = summary.levels
        .filter((l) => l.route === route && l.requests > 0 && l.latencyMs[p] !== null)
        .map((l) => ({ x: l.throughputRps, y: l.latencyMs[p]!, label: p === "p95" ? `${l.rate}/s` : undefined }));
      if (points.length > 0) series.push({ name: `${route} ${p}`, points });
    }
  }
  return series;
}

export async function writeLatencyChart(summary: Summary, pathWithoutExt: string): Promise<WrittenChart | null> {
  const series = latencySeries(summary);
  if (series.length === 0) return null;
  return writeScatterChart(pathWithoutExt, {
    title: `Latency vs throughput (${summary.tool}, profile ${summary.profile})`,
    xLabel: "achieved throughput (successful requests/s)",
    yLabel: "latency (ms)",
    series,
  });
}
