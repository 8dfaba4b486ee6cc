// Throughput of the server over loopback for WORKERS × INTRA_OP_THREADS layouts, on a random-weight
// model at a preset's sizes (default `small`, what the shipped models use). Prints one JSON line per
// layout and a table. Bounded: each layout runs for --seconds (default 8).
// Usage: npx tsx server/bench/throughput.bench.ts [--preset small] [--seconds 8] [--clients 8] [--steps 20] [--layouts 1x2,2x1]
import { parseArgs } from "node:util";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { join } from "node:path";
import { modelConfigFromPreset } from "@ldtext/core";
import type { PresetName } from "@ldtext/core";
import { placeholderVocabulary, writeRandomArtifact } from "@ldtext/export";
import { postJson, startTestServer, tempDir } from "../src/testing/fixtures.ts";

const { values } = parseArgs({
  options: {
    preset: { type: "string", default: "small" },
    seconds: { type: "string", default: "8" },
    clients: { type: "string", default: "8" },
    steps: { type: "string", default: "20" },
    n: { type: "string", default: "1" },
    layouts: { type: "string", default: "1x2,2x1" },
  },
});
const preset = values.preset as PresetName;
const seconds = Number(values.seconds);
const clients = Number(values.clients);
const steps = Number(values.steps);
const n = Number(values.n);

const models = tempDir("ldtext-bench-");
const vocabSize = preset === "tiny" ? 300 : 8192;
await writeRandomArtifact({ config: modelConfigFromPreset(preset, "generate", vocabSize), vocabulary: placeholderVocabulary(vocabSize), outDir: join(models, "gen"), seed: 1, name: "bench" });

const rows: Record<string, number | string>[] = [];
for (const layout of values.layouts!.split(",")) {
  const [workers, threads] = layout.split("x");
  const srv = await startTestServer(models, { WORKERS: workers, INTRA_OP_THREADS: threads, ROW_BUDGET: "64", QUEUE_SIZE: "1024", RESPONSE_CACHE_SIZE: "0" });
  const lat: number[] = [];
  let failed = 0;
  // The HTTP thread's event-loop delay under load: ONNX runs and sampler math live in workers.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const r = await postJson(`${srv.url}/generate`, { steps, n });
        if (r.status === 200) lat.push(performance.now() - t0);
        else failed++;
      }
    }),
  );
  loop.disable();
  const metrics = await (await fetch(`${srv.url}/metrics`)).text();
  await srv.shutdown();
  lat.sort((a, b) => a - b);
  const q = (p: number) => Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN);
  const calls = metrics.split("\n").find((l) => l.startsWith("ldtext_batch_rows_count"))?.split(" ").pop();
  const rowSum = metrics.split("\n").find((l) => l.startsWith("ldtext_batch_rows_sum"))?.split(" ").pop();
  const row = {
    preset,
    workers: Number(workers),
    intraOpThreads: Number(threads),
    clients,
    steps,
    n,
    requests: lat.length,
    failed,
    requestsPerSec: Math.round((lat.length / seconds) * 100) / 100,
    samplesPerSec: Math.round(((lat.length * n) / seconds) * 100) / 100,
    meanRowsPerDenoiserCall: Math.round((Number(rowSum) / Number(calls)) * 10) / 10,
    p50Ms: q(0.5),
    p95Ms: q(0.95),
    eventLoopDelayP99Ms: Math.round((loop.percentile(99) / 1e6) * 10) / 10,
    eventLoopDelayMaxMs: Math.round((loop.max / 1e6) * 10) / 10,
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}
console.log("\nworkers×threads  req/s   samples/s  rows/call  p50 ms  p95 ms  loop p99 ms");
for (const r of rows) {
  console.log(`${`${r.workers}×${r.intraOpThreads}`.padEnd(16)} ${String(r.requestsPerSec).padStart(6)}  ${String(r.samplesPerSec).padStart(9)}  ${String(r.meanRowsPerDenoiserCall).padStart(9)}  ${String(r.p50Ms).padStart(6)}  ${String(r.p95Ms).padStart(6)}  ${String(r.eventLoopDelayP99Ms).padStart(11)}`);
}
