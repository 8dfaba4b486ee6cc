// Closed-loop load on a running server over loopback: `concurrency` clients, each sending its next
// POST /generate as soon as the previous one answered, for a time window; then no new requests, and
// the ones in flight are waited for (up to a hard cap, after which they are abandoned and not
// counted). Samples/s = finished samples / time from the start to the last answer. Mean rows per
// denoiser call and the server's CPU seconds come from its own /metrics (the ldtext_batch_rows
// histogram and ldtext_process_cpu_seconds_total, before/after): samples per CPU second hold up on a
// shared machine where the wall-clock rate follows the other tenants' load.
import { loadavg } from "node:os";
import { percentile } from "../../k6/lib/shared.js";
import type { Precision, ServerLevel } from "./summary.ts";

/** Sum of every sample of the metric `name` (any labels) in a Prometheus text exposition. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const brace = line.indexOf("{");
    const space = line.indexOf(" ");
    const end = brace >= 0 && brace < space ? brace : space;
    if (end <= 0 || line.slice(0, end) !== name) continue;
    const v = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(v)) sum += v;
  }
  return sum;
}

export interface BatchCounters {
  rows: number;
  calls: number;
  /** Server process CPU seconds (all threads). */
  cpu: number;
}

export async function batchCounters(url: string): Promise<BatchCounters> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  return { rows: metricSum(text, "ldtext_batch_rows_sum"), calls: metricSum(text, "ldtext_batch_rows_count"), cpu: metricSum(text, "ldtext_process_cpu_seconds_total") };
}

/** What GET /models says the server runs for `model` (or its only model): the denoiser and why. */
export async function servedDenoiser(url: string, model?: string): Promise<{ denoiser: string; reason: string }> {
  const res = await fetch(`${url}/models`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { models?: { id: string; denoiser?: string; denoiserReason?: string }[] };
  const ms = body.models ?? [];
  const m = model !== undefined ? ms.find((x) => x.id === model) : ms.length === 1 ? ms[0] : undefined;
  if (!m || typeof m.denoiser !== "string") throw new Error(`GET ${url}/models: no denoiser for ${model ?? "its only model"} (${res.status})`);
  return { denoiser: m.denoiser, reason: m.denoiserReason ?? "" };
}

export interface LevelOptions {
  url: string;
  mode: ServerLevel["mode"];
  /** The denoiser the server runs (recorded with the level). */
  denoiser: Precision;
  steps: number;
  concurrency: number;
  /** New requests are sent during this window. */
  seconds: number;
  /** In-flight requests still running this long after the start are abandoned. */
  capSeconds: number;
  model?: string;
  seed: number;
}

export async function runClosedLoop(o: LevelOptions): Promise<ServerLevel> {
  const before = await batchCounters(o.url);
  const abort = new AbortController();
  const latencies: number[] = [];
  let failed = 0;
  let samples = 0;
  let lastDone = 0;
  let seed = o.seed;
  const started = performance.now();
  const windowEnd = started + o.seconds * 1000;
  const cap = setTimeout(() => abort.abort(), o.capSeconds * 1000);
  let truncated = false;
  const client = async () => {
    while (performance.now() < windowEnd && !abort.signal.aborted) {
      const body = JSON.stringify({ n: 1, steps: o.steps, sampler: "ddim", seed: seed++, ...(o.model ? { model: o.model } : {}) });
      const t0 = performance.now();
      try {
        const res = await fetch(`${o.url}/generate`, { method: "POST", headers: { "content-type": "application/json" }, body, signal: abort.signal });
        const json = (await res.json()) as { texts?: unknown[] };
        const t1 = performance.now();
        if (res.status === 200 && Array.isArray(json.texts)) {
          latencies.push(t1 - t0);
          samples += json.texts.length;
          lastDone = Math.max(lastDone, t1);
        } else failed++;
      } catch {
        if (abort.signal.aborted) truncated = true;
        else failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, client));
  clearTimeout(cap);
  const after = await batchCounters(o.url);
  const elapsed = ((lastDone || performance.now()) - started) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  const calls = after.calls - before.calls;
  const cpu = after.cpu - before.cpu;
  const r = (x: number | null) => (x === null ? null : Number(x.toFixed(1)));
  return {
    mode: o.mode,
    denoiser: o.denoiser,
    steps: o.steps,
    concurrency: o.concurrency,
    requests: sorted.length + failed,
    failed,
    seconds: Number(elapsed.toFixed(2)),
    samplesPerSec: elapsed > 0 ? Number((samples / elapsed).toFixed(3)) : 0,
    latencyMs: {
      p50: r(percentile(sorted, 50)),
      p95: r(percentile(sorted, 95)),
      p99: r(percentile(sorted, 99)),
      mean: r(sorted.length ? sorted.reduce((s, v) => s + v, 0) / sorted.length : null),
    },
    meanRowsPerDenoiserCall: calls > 0 ? Number(((after.rows - before.rows) / calls).toFixed(2)) : null,
    denoiserCalls: calls,
    cpuSeconds: Number(cpu.toFixed(2)),
    samplesPerCpuSecond: cpu > 0 ? Number((samples / cpu).toFixed(3)) : null,
    truncated,
    loadAverage: Number(loadavg()[0].toFixed(2)),
  };
}
