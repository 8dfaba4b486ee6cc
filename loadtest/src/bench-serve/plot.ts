// Latency against throughput: one curve per (setup, steps) — the fp32 and the int8 server with
// batching and the fp32 one without (points = concurrency), and the fp32/int8 engine ceilings
// (points = batch size, latency = one batch's time).
// Series names stay short: the chart's legend cuts names past ~16 characters.
import { writeScatterChart, type ScatterSeries, type WrittenChart } from "@ldtext/charts";
import type { BenchServeResult } from "./summary.ts";

export function benchSeries(r: BenchServeResult): ScatterSeries[] {
  const series: ScatterSeries[] = [];
  for (const s of r.results) {
    for (const [name, levels] of [["fp32 srv", s.server], ["int8 srv", s.serverInt8], ["no batch", s.noBatching]] as const) {
      const points = levels.filter((l) => l.latencyMs.p50 !== null).map((l) => ({ x: l.samplesPerSec, y: l.latencyMs.p50!, label: `c=${l.concurrency}` }));
      if (points.length > 0) series.push({ name: `${name}, ${s.steps} st`, points });
    }
    for (const e of [s.engine, ...(s.engineInt8 ? [s.engineInt8] : [])]) {
      series.push({ name: `${e.precision === "fp32" ? "engine" : "int8 eng"}, ${s.steps} st`, points: e.sweep.map((p) => ({ x: p.samplesPerSec, y: p.sampleLatencyMs, label: `b=${p.batch}` })) });
    }
  }
  return series;
}

export async function writeBenchChart(r: BenchServeResult, pathWithoutExt: string): Promise<WrittenChart> {
  return writeScatterChart(pathWithoutExt, {
    title: `p50 latency vs throughput, st = denoising steps (${r.model.id}, ${r.layout.workers}×${r.layout.intraOpThreads} workers×threads${r.quick ? ", quick" : ""})`,
    xLabel: "throughput (samples/s)",
    yLabel: "latency (ms, p50; engine: one batch)",
    logY: true,
    // fp32 server, int8 server, no batching, fp32 and int8 engine: one legend row per steps.
    legendColumns: 5,
    series: benchSeries(r),
  });
}
