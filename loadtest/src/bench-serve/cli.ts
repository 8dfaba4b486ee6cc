// npm run bench:serve -- [--models <dir>] [--steps 10,50] [--quick] [--concurrency 1,8,32]
//   [--batches 1,4,8,16,32] [--workers <cpus>] [--threads 1] [--row-budget 32] [--seconds S]
//   [--engine-seconds S] [--max-minutes M] [--no-int8] [--note TEXT]... [--out loadtest/results]
// The serving benchmark, one run, on one model and the same steps: the engine ceiling (no HTTP,
// batch-size sweep, fp32 and int8), the server under closed-loop load — DENOISER=fp32 and
// DENOISER=int8 servers started together, their levels alternated so each pair is measured under the
// same load, then the fp32 server with ROW_BUDGET=1 (one request per denoiser call) — what the
// default DENOISER=auto picks, the fp32 GEMM peak through ONNX Runtime and the denoiser's GFLOP/s
// against it. Writes <out>/bench-serve.json, bench-serve.md and bench-serve-latency.{svg,png}.
// Exit 0 = measured and written (targets met or not: see the table), 2 = bad input or a failure.
import { parseArgs } from "node:util";
import { cpus, loadavg, tmpdir } from "node:os";
import { cpuInfo, cpuLabel } from "@ldtext/core";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { mkdir } from "node:fs/promises";
import { writeFileAtomic } from "@ldtext/charts";
import { spawnServerProcess, type ServerProcess } from "../server-process.ts";
import { chooseModel } from "./model.ts";
import { EnginePool, sweepEngine } from "./engine.ts";
import { denoiserFlopsPerRow } from "./flops.ts";
import { measureGemmPeak } from "./peak.ts";
import { runClosedLoop, servedDenoiser } from "./server-load.ts";
import { buildResult, formatMarkdown, type EngineCeiling, type GemmPeak, type Precision, type ServerLevel, type StepsResult } from "./summary.ts";
import { writeBenchChart } from "./plot.ts";
import { Progress, type Phase } from "./progress.ts";

const repoRoot = new URL("../../../", import.meta.url).pathname;

export class UsageError extends Error {}

/** "10,50" → [10, 50]: positive integers within [1, max]. */
export function intList(name: string, raw: string, max: number): number[] {
  const xs = raw.split(",").filter((s) => s.trim() !== "").map((s) => Number(s));
  if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x < 1 || x > max)) throw new UsageError(`--${name} wants a comma list of integers 1..${max}, got "${raw}"`);
  return [...new Set(xs)].sort((a, b) => a - b);
}

function positive(name: string, raw: string): number {
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new UsageError(`--${name} must be a positive number, got "${raw}"`);
  return v;
}

export interface ServerRun {
  denoiser: Precision;
  steps: number;
  concurrency: number;
}

/**
 * The batching levels of the fp32 and the int8 server, side by side: for each steps and concurrency
 * both servers one after the other, the one that goes first alternating from pair to pair (so
 * neither always follows the other's load). Without int8, the fp32 levels alone.
 */
export function sideBySide(steps: number[], concurrencies: number[], int8: boolean): ServerRun[] {
  const out: ServerRun[] = [];
  let pair = 0;
  for (const s of steps) {
    for (const c of concurrencies) {
      const order: Precision[] = !int8 ? ["fp32"] : pair % 2 === 0 ? ["fp32", "int8"] : ["int8", "fp32"];
      for (const denoiser of order) out.push({ denoiser, steps: s, concurrency: c });
      pair++;
    }
  }
  return out;
}

export const serverPhase = (r: ServerRun): string => `server ${r.denoiser}, ${r.steps} steps, c=${r.concurrency}`;
export const noBatchingPhase = (steps: number, c: number): string => `server no batching, ${steps} steps, c=${c}`;
export const AUTO_PHASE = "server DENOISER=auto check";

/**
 * The phases in the order main() runs them, with planned seconds for the progress line (a server
 * level lasts at least one round of requests, so the plan is a lower bound).
 */
export function planPhases(o: { steps: number[]; concurrencies: number[]; batches: number[]; seconds: number; engineSeconds: number; int8: boolean }): Phase[] {
  return [
    { name: "GEMM peak", seconds: 3 },
    ...o.steps.map((s) => ({ name: `engine fp32, ${s} steps`, seconds: o.batches.length * (o.engineSeconds + 2) })),
    ...(o.int8 ? o.steps.map((s) => ({ name: `engine int8, ${s} steps`, seconds: o.engineSeconds + 2 })) : []),
    ...(o.int8 ? [{ name: AUTO_PHASE, seconds: 10 }] : []),
    ...sideBySide(o.steps, o.concurrencies, o.int8).map((r) => ({ name: serverPhase(r), seconds: o.seconds + 2 })),
    ...o.steps.flatMap((s) => o.concurrencies.map((c) => ({ name: noBatchingPhase(s, c), seconds: o.seconds + 2 }))),
    { name: "GEMM peak (again)", seconds: 3 },
  ];
}

/** The server's environment for one benchmark server. */
export function serverEnv(o: { workers: number; threads: number; rowBudget: number; concurrencies: number[]; denoiser: Precision | "auto" }): Record<string, string> {
  return {
    WORKERS: String(o.workers),
    INTRA_OP_THREADS: String(o.threads),
    ROW_BUDGET: String(o.rowBudget),
    DENOISER: o.denoiser,
    QUEUE_SIZE: String(Math.max(64, 2 * Math.max(...o.concurrencies))),
    RESPONSE_CACHE_SIZE: "0",
    REQUEST_DEADLINE_MS: "900000",
    // Closed-loop clients want every request answered, not refused by the admission estimate.
    ADMISSION_DEADLINE_MS: "0",
    // An idle server (the other one of a pair) should not poll the models folder meanwhile.
    MODEL_POLL_MS: "0",
    EP: "cpu",
    LOG_LEVEL: "warn",
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: "string" },
      steps: { type: "string", default: "10,50" },
      quick: { type: "boolean", default: false },
      concurrency: { type: "string", default: "1,8,32" },
      batches: { type: "string" },
      workers: { type: "string", default: String(cpus().length) },
      threads: { type: "string", default: "1" },
      "row-budget": { type: "string", default: "32" },
      seconds: { type: "string" },
      "engine-seconds": { type: "string" },
      "max-minutes": { type: "string" },
      "no-int8": { type: "boolean", default: false },
      note: { type: "string", multiple: true, default: [] },
      out: { type: "string", default: join(repoRoot, "loadtest/results") },
    },
  });
  const quick = values.quick;
  const stepsList = intList("steps", values.steps, 200);
  const concurrencies = intList("concurrency", values.concurrency, 256);
  const batches = intList("batches", values.batches ?? (quick ? "8,16" : "1,4,8,16,32"), 256);
  const workers = intList("workers", values.workers, 64)[0];
  const threads = intList("threads", values.threads, 256)[0];
  const rowBudget = intList("row-budget", values["row-budget"], 4096)[0];
  const seconds = positive("seconds", values.seconds ?? (quick ? "6" : "30"));
  const engineSeconds = positive("engine-seconds", values["engine-seconds"] ?? (quick ? "2" : "8"));
  const maxMinutes = positive("max-minutes", values["max-minutes"] ?? (quick ? "15" : "40"));
  const outDir = resolve(values.out);
  const scratch = mkdtempSync(join(tmpdir(), "ldtext-bench-serve-"));
  const notes: string[] = [...(values.note ?? [])];
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const loadStart = loadavg();
  const log = (s: string) => console.error(s);

  const servers = new Set<ServerProcess>();
  const stopAll = () => Promise.all([...servers].map((s) => s.stop().finally(() => servers.delete(s))));
  const watchdog = setTimeout(() => {
    log(`bench:serve: over --max-minutes ${maxMinutes}, aborting`);
    void stopAll().finally(() => process.exit(2));
  }, maxMinutes * 60_000);
  watchdog.unref();
  try {
    const model = await chooseModel({ explicitDir: values.models, defaultDir: join(repoRoot, "models"), scratch, log });
    const cfg = model.manifest.config;
    log(`model ${model.info.id}@${model.info.version} (${model.info.source}) at ${model.dir}; ${workers} worker(s) × ${threads} thread(s); load average ${loadStart.map((x) => x.toFixed(1)).join(" ")}`);
    if (model.info.source === "random") notes.push("No trained generate model under models/: a random-weight artifact at the small preset's shapes was used (speed depends on shapes, not on weights).");
    const int8 = model.info.hasInt8 && !values["no-int8"];
    const progress = new Progress(planPhases({ steps: stepsList, concurrencies, batches, seconds, engineSeconds, int8 }), log);
    const flops = denoiserFlopsPerRow(cfg);
    const graph = (role: "denoiser" | "denoiser_int8" | "decoder") => join(model.dir, model.manifest.graphs[role]!.file);

    progress.begin("GEMM peak");
    const peaks: GemmPeak[] = [await measureGemmPeak({ sessions: workers, threads, seconds: quick ? 3 : 6 })];
    progress.done(`${peaks[0].gflops} GFLOP/s best, ${peaks[0].medianGflops} median`);

    const perSteps = new Map<number, { engine: EngineCeiling; engineInt8?: EngineCeiling; server: ServerLevel[]; serverInt8: ServerLevel[]; noBatching: ServerLevel[] }>();
    const poolOpts = { workers, threads, L: cfg.maxLen, d: cfg.latentDim, schedule: cfg.schedule, decoder: graph("decoder") };
    const fp32 = await EnginePool.start({ ...poolOpts, denoiser: graph("denoiser") });
    try {
      for (const steps of stepsList) {
        progress.begin(`engine fp32, ${steps} steps`);
        const engine = await sweepEngine(fp32, { precision: "fp32", steps, batches, seconds: engineSeconds, flopsPerRow: flops.total, onPoint: (p) => progress.note(`batch ${p.batch}: ${p.samplesPerSec} samples/s, ${p.denoiserGflops} GFLOP/s`) });
        progress.done(`best batch ${engine.best.batch}: ${engine.best.samplesPerSec} samples/s`);
        perSteps.set(steps, { engine, server: [], serverInt8: [], noBatching: [] });
      }
    } finally {
      await fp32.close();
    }
    if (int8) {
      const int8Pool = await EnginePool.start({ ...poolOpts, denoiser: graph("denoiser_int8") });
      try {
        for (const steps of stepsList) {
          progress.begin(`engine int8, ${steps} steps`);
          const r = perSteps.get(steps)!;
          // The fp32 sweep's best batch (and its neighbours in quick mode would cost a full sweep).
          r.engineInt8 = await sweepEngine(int8Pool, { precision: "int8", steps, batches: [r.engine.best.batch], seconds: engineSeconds, flopsPerRow: flops.total });
          progress.done(`batch ${r.engineInt8.best.batch}: ${r.engineInt8.best.samplesPerSec} samples/s (fp32 ${r.engine.best.samplesPerSec})`);
        }
      } finally {
        await int8Pool.close();
      }
    } else {
      notes.push(model.info.hasInt8 ? "int8 skipped (--no-int8)." : "The artifact has no denoiser_int8 graph: no int8 comparison (engine or server).");
    }

    const start = async (name: string, denoiser: Precision | "auto", budget: number, w = workers): Promise<ServerProcess> => {
      const s = await spawnServerProcess({ repoRoot, modelsDir: model.dir, logFile: join(scratch, `server-${name}.log`), env: serverEnv({ workers: w, threads, rowBudget: budget, concurrencies, denoiser }) });
      servers.add(s);
      return s;
    };
    const stop = async (s: ServerProcess) => {
      await s.stop();
      servers.delete(s);
    };
    /** Starts the servers together; GET /models must confirm each serves the denoiser it was given. */
    const startChecked = async (specs: { name: string; denoiser: Precision; budget: number }[]): Promise<ServerProcess[]> => {
      const started = await Promise.allSettled(specs.map((x) => start(x.name, x.denoiser, x.budget)));
      const failed = started.find((x) => x.status === "rejected");
      if (failed) {
        await stopAll();
        throw failed.reason;
      }
      const list = started.map((x) => (x as PromiseFulfilledResult<ServerProcess>).value);
      for (const [i, s] of list.entries()) {
        const served = await servedDenoiser(s.url, model.info.id);
        if (served.denoiser !== specs[i].denoiser) throw new Error(`the ${specs[i].name} server (DENOISER=${specs[i].denoiser}) serves ${served.denoiser}: ${served.reason}`);
      }
      return list;
    };
    const level = async (url: string, mode: ServerLevel["mode"], denoiser: Precision, steps: number, c: number, phase: string): Promise<ServerLevel> => {
      progress.begin(phase);
      // The same seeds for both denoisers: each pair answers the same requests.
      const l = await runClosedLoop({ url, mode, denoiser, steps, concurrency: c, seconds, capSeconds: seconds + (quick ? 150 : 240), model: model.info.id, seed: 1 + 100_000 * c + steps });
      progress.done(`${l.samplesPerSec} samples/s, p50 ${l.latencyMs.p50} ms, p99 ${l.latencyMs.p99} ms, ${l.meanRowsPerDenoiserCall} rows/call, load ${l.loadAverage}${l.failed ? `, ${l.failed} failed` : ""}${l.truncated ? ", cut at the cap" : ""}`);
      return l;
    };

    let autoDenoiser: { denoiser: string; reason: string } | undefined;
    if (int8) {
      // What the default (DENOISER=auto) serves for this model on this CPU: its int8 parity check at load.
      progress.begin(AUTO_PHASE);
      const s = await start("auto", "auto", rowBudget, 1);
      try {
        autoDenoiser = await servedDenoiser(s.url, model.info.id);
      } finally {
        await stop(s);
      }
      progress.done(`${autoDenoiser.denoiser}: ${autoDenoiser.reason}`);
    }

    {
      const specs = [{ name: "fp32", denoiser: "fp32" as const, budget: rowBudget }, ...(int8 ? [{ name: "int8", denoiser: "int8" as const, budget: rowBudget }] : [])];
      const list = await startChecked(specs);
      const url = { fp32: list[0].url, int8: list[1]?.url ?? "" };
      try {
        for (const run of sideBySide(stepsList, concurrencies, int8)) {
          const l = await level(url[run.denoiser], "batching", run.denoiser, run.steps, run.concurrency, serverPhase(run));
          const r = perSteps.get(run.steps)!;
          (run.denoiser === "fp32" ? r.server : r.serverInt8).push(l);
        }
      } finally {
        await stopAll();
      }
    }
    {
      const [nb] = await startChecked([{ name: "no-batching", denoiser: "fp32", budget: 1 }]);
      try {
        for (const steps of stepsList) {
          for (const c of concurrencies) perSteps.get(steps)!.noBatching.push(await level(nb.url, "no-batching", "fp32", steps, c, noBatchingPhase(steps, c)));
        }
      } finally {
        await stopAll();
      }
    }
    if (int8) {
      notes.push(
        "Server fp32 vs int8: two servers, DENOISER=fp32 and DENOISER=int8 (GET /models confirmed each), the same WORKERS/INTRA_OP_THREADS/ROW_BUDGET, started together; their levels alternate (fp32 c=1, int8 c=1, int8 c=8, fp32 c=8, …: the one going first alternates too) with the same seeds, so each pair of figures is taken under the same load on a shared machine. The idle server of a pair uses no CPU (no requests, MODEL_POLL_MS=0). No batching (ROW_BUDGET=1) is measured on the fp32 server only.",
      );
    }
    progress.begin("GEMM peak (again)");
    peaks.push(await measureGemmPeak({ sessions: workers, threads, seconds: quick ? 3 : 6 }));
    progress.done(`${peaks[1].gflops} GFLOP/s best, ${peaks[1].medianGflops} median`);
    // The best of the two runs for each figure (the machine's share of the cores changes between them).
    const peak = { ...peaks.reduce((a, b) => (b.gflops > a.gflops ? b : a)), gflopsPerCpuSecond: Math.max(...peaks.map((p) => p.gflopsPerCpuSecond)) };
    notes.push(`GEMM peak: ${workers} session(s) × ${threads} thread(s) of a ${peak.M}×${peak.K}×${peak.N} MatMul side by side; the best round over two runs (start ${peaks[0].gflops}, end ${peaks[1].gflops} GFLOP/s; medians ${peaks[0].medianGflops}, ${peaks[1].medianGflops}; per CPU second ${peaks[0].gflopsPerCpuSecond}, ${peaks[1].gflopsPerCpuSecond}).`);
    notes.push("Per-CPU-second rates divide FLOPs by this process's CPU time, so they hold on a shared machine where wall-clock rates swing with the other tenants' load; the wall-clock peak is a best round, the denoiser's a long average, so their ratio is biased low under load.");
    notes.push("Denoiser FLOPs: matrix products of the Dif network per row and step (docs/MODEL-SPEC.md), " + `${(flops.total / 1e6).toFixed(1)} MFLOP; denoiserGflops = FLOPs of every denoiser row the engine ran / wall time of the engine run at its best batch (decoder and sampler time included).`);
    notes.push("Server samples/s: finished samples / time from the level's start to its last answer (closed loop: clients stop sending at the window's end; requests in flight are waited for).");

    const cpu = cpuInfo();
    const levelLoads = [...perSteps.values()].flatMap((r) => [...r.server, ...r.serverInt8, ...r.noBatching]).map((l) => l.loadAverage);
    if (levelLoads.length > 0) notes.push(`Load average (1 min) at the end of the server levels: ${Math.min(...levelLoads).toFixed(1)}–${Math.max(...levelLoads).toFixed(1)} on ${cpus().length} cores (each level's in the JSON, \`loadAverage\`).`);
    const busiest = Math.max(loadStart[0], loadavg()[0], ...levelLoads);
    if (busiest > cpus().length) {
      notes.unshift(
        `The machine was shared (load average up to ${busiest.toFixed(1)} on ${cpus().length} cores): this process got a varying share of the cores, so wall-clock rates measured minutes apart (engine vs server levels) are not comparable; the per-CPU-second columns and ratios are, and so are the int8/fp32 server pairs (measured one right after the other).`,
      );
    }
    const results: Omit<StepsResult, "comparison" | "int8Comparison">[] = stepsList.map((steps) => ({ steps, ...perSteps.get(steps)! }));
    const result = buildResult({
      startedAt,
      durationSeconds: (performance.now() - t0) / 1000,
      quick,
      model: model.info,
      layout: { workers, intraOpThreads: threads, rowBudget, noBatchingRowBudget: 1 },
      autoDenoiser,
      machine: { cpus: cpus().length, cpuModel: cpuLabel(cpu), cpu, loadAverageStart: loadStart, loadAverageEnd: loadavg(), node: process.version, onnxruntime: ortVersion() },
      denoiserFlopsPerRow: flops.total,
      peak,
      results,
      notes,
    });
    const md = formatMarkdown(result);
    await mkdir(outDir, { recursive: true });
    await writeFileAtomic(join(outDir, "bench-serve.json"), `${JSON.stringify(result, null, 2)}\n`);
    await writeFileAtomic(join(outDir, "bench-serve.md"), `${md}\n![latency vs throughput](bench-serve-latency.png)\n`);
    const chart = await writeBenchChart(result, join(outDir, "bench-serve-latency"));
    console.log(md);
    console.log(`wrote ${join(outDir, "bench-serve.json")}, bench-serve.md, ${chart.svgPath}${chart.pngPath ? `, ${chart.pngPath}` : ""}`);
  } finally {
    clearTimeout(watchdog);
    await stopAll();
    rmSync(scratch, { recursive: true, force: true });
  }
}

function ortVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(repoRoot, "node_modules/onnxruntime-node/package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  try {
    await main();
  } catch (err) {
    console.error(`bench:serve: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  }
}
