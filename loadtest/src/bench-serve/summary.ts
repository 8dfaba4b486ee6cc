// The shape of `loadtest/results/bench-serve.json` and the arithmetic on it: which measurements the
// headline fields come from, the server/engine ratios, the int8 vs fp32 server ratios (levels taken
// side by side), the denoiser's share of the GEMM peak, and the markdown table. Pure functions, so
// they are unit-tested without a server.
import type { CpuInfo } from "@ldtext/core";

export interface LatencyMs {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  mean: number | null;
}

/** One batch size of the engine sweep: W workers, each running whole samples of `batch` rows. */
export interface EngineBatchPoint {
  batch: number;
  samples: number;
  seconds: number;
  samplesPerSec: number;
  denoiserCalls: number;
  /** Mean wall time of one denoiser call (ms). */
  denoiserMsMean: number;
  /** Denoiser FLOPs executed / wall seconds of the run (all workers together). */
  denoiserGflops: number;
  /** Mean wall time of one batch, start to decoded ids (what one sample waits). */
  sampleLatencyMs: number;
  /** CPU seconds the engine threads used (process CPU time; other tenants of the machine excluded). */
  cpuSeconds: number;
  /** Denoiser FLOPs executed / CPU seconds (decoder and sampler CPU included). */
  denoiserGflopsPerCpuSecond: number;
  samplesPerCpuSecond: number;
}

export interface EngineCeiling {
  precision: Precision;
  steps: number;
  sweep: EngineBatchPoint[];
  best: EngineBatchPoint;
}

export type Precision = "fp32" | "int8";

export interface ServerLevel {
  mode: "batching" | "no-batching";
  /** The denoiser graph the server ran (its DENOISER setting, confirmed by GET /models). */
  denoiser: Precision;
  steps: number;
  concurrency: number;
  requests: number;
  failed: number;
  seconds: number;
  samplesPerSec: number;
  latencyMs: LatencyMs;
  /** Δ ldtext_batch_rows_sum / Δ ldtext_batch_rows_count over the level (null without calls). */
  meanRowsPerDenoiserCall: number | null;
  denoiserCalls: number;
  /** Server process CPU seconds over the level (its /metrics). */
  cpuSeconds: number;
  samplesPerCpuSecond: number | null;
  /** The level hit its hard time cap; requests still running then were abandoned (not counted). */
  truncated: boolean;
  /** The machine's 1-minute load average at the level's end (other tenants included). */
  loadAverage: number;
}

export interface GemmPeak {
  M: number;
  K: number;
  N: number;
  /** Sessions run side by side (the engine's workers), each with `threads` intra-op threads. */
  sessions: number;
  threads: number;
  calls: number;
  /** Best call (the peak). */
  gflops: number;
  medianGflops: number;
  /** GEMM FLOPs / process CPU seconds over every round: the per-core rate, robust to a shared machine. */
  gflopsPerCpuSecond: number;
}

export interface StepsResult {
  steps: number;
  engine: EngineCeiling;
  engineInt8?: EngineCeiling;
  /** The fp32 server (DENOISER=fp32), batching. */
  server: ServerLevel[];
  /** The int8 server (DENOISER=int8), batching, its levels alternated with `server`'s; empty without int8. */
  serverInt8: ServerLevel[];
  /** The fp32 server with ROW_BUDGET=1. */
  noBatching: ServerLevel[];
  comparison: ConcurrencyComparison[];
  /** int8 vs fp32 server per concurrency (empty without int8 levels). */
  int8Comparison: Int8ServerComparison[];
}

export interface LatencyPair {
  p50: number | null;
  p99: number | null;
}

/** The int8 and the fp32 server at one concurrency, measured one after the other (same load). */
export interface Int8ServerComparison {
  concurrency: number;
  fp32SamplesPerSec: number | null;
  int8SamplesPerSec: number | null;
  /** int8 server / fp32 server, samples/s. */
  int8OverFp32: number | null;
  fp32SamplesPerCpuSecond: number | null;
  int8SamplesPerCpuSecond: number | null;
  /** The same ratio in samples per server CPU second. */
  int8OverFp32Cpu: number | null;
  /** int8 server / int8 engine ceiling (what the server keeps of the int8 engine's speed). */
  int8ServerOverEngine: number | null;
  fp32LatencyMs: LatencyPair | null;
  int8LatencyMs: LatencyPair | null;
}

/** p50/p99 of both servers at one concurrency (the headline's lowest and highest). */
export interface LatencyAt {
  concurrency: number;
  fp32: LatencyPair | null;
  int8: LatencyPair | null;
}

export interface ConcurrencyComparison {
  concurrency: number;
  serverSamplesPerSec: number | null;
  noBatchingSamplesPerSec: number | null;
  /** server / engine ceiling. */
  serverOverEngine: number | null;
  /** server / no-batching. */
  batchingSpeedup: number | null;
  /** The same two ratios in samples per CPU second (robust to other load on the machine). */
  serverOverEngineCpu: number | null;
  batchingSpeedupCpu: number | null;
}

export interface Target {
  target: number;
  value: number | null;
  met: boolean;
}

export interface BenchServeResult {
  schema: "ldtext-bench-serve/2";
  /** Headline fields: steps `headline.steps` (50), concurrency `headline.concurrency` (32). */
  engineSamplesPerSec: number;
  serverSamplesPerSecAt32: number | null;
  ratioAt32: number | null;
  noBatchingSamplesPerSecAt32: number | null;
  /** ratioAt32 in samples per CPU second (server process vs engine threads). */
  ratioAt32Cpu: number | null;
  denoiserGflops: number;
  peakGflops: number;
  denoiserPeakFraction: number;
  /** The same two rates per CPU second (what to trust when other processes share the cores). */
  denoiserGflopsPerCpuSecond: number;
  peakGflopsPerCpuSecond: number;
  denoiserPeakFractionCpu: number;
  /** int8 / fp32 engine ceiling at the headline steps (absent without denoiser_int8). */
  int8EngineSpeedup?: number;
  /** The int8 server (DENOISER=int8) at the headline steps and concurrency, samples/s. */
  int8ServerSamplesPerSecAt32: number | null;
  /** int8 server / fp32 server at the headline steps and concurrency (issue 16's target: ≥ 2). */
  int8OverFp32ServerAt32: number | null;
  int8OverFp32ServerAt32Cpu: number | null;
  /** p50/p99 of both servers at the lowest and the headline concurrency, headline steps. */
  serverLatency: LatencyAt[];
  /** What the server's default (DENOISER=auto) chose for this model on this CPU, when checked. */
  autoDenoiser?: { denoiser: string; reason: string };
  headline: { steps: number; concurrency: number };
  targets: {
    serverOverEngineAt32: Target;
    serverOverEngineAt32Cpu: Target;
    denoiserOverPeak: Target;
    denoiserOverPeakCpu: Target;
    int8OverFp32ServerAt32: Target;
    int8OverFp32ServerAt32Cpu: Target;
  };
  startedAt: string;
  durationSeconds: number;
  quick: boolean;
  model: ModelInfo;
  layout: { workers: number; intraOpThreads: number; rowBudget: number; noBatchingRowBudget: number };
  machine: MachineInfo;
  denoiserFlopsPerRow: number;
  peak: GemmPeak;
  results: StepsResult[];
  notes: string[];
}

export interface ModelInfo {
  dir: string;
  id: string;
  version: string;
  /** "models/" (the shipped model), "--models", or "random" (a random-weight artifact made for this run). */
  source: string;
  preset?: string;
  L: number;
  d: number;
  dif: { dModel: number; heads: number; layers: number; ffn: number };
  hasInt8: boolean;
}

export interface MachineInfo {
  cpus: number;
  /** core's cpuLabel: the model name with family/model/stepping. */
  cpuModel: string;
  /** core's cpuInfo(): model, vendor, family/model/stepping, cores, int8 flags and kernel. */
  cpu: CpuInfo;
  loadAverageStart: number[];
  loadAverageEnd: number[];
  node: string;
  onnxruntime: string;
}

const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

/** a / b, or null when either is missing or b is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return round(a / b, 4);
}

/** The sweep point with the most samples/s. */
export function bestPoint(sweep: EngineBatchPoint[]): EngineBatchPoint {
  if (sweep.length === 0) throw new Error("empty engine sweep");
  return sweep.reduce((best, p) => (p.samplesPerSec > best.samplesPerSec ? p : best));
}

/** Server, no-batching and engine side by side per concurrency. */
export function compare(engine: EngineCeiling, server: ServerLevel[], noBatching: ServerLevel[]): ConcurrencyComparison[] {
  const cs = [...new Set([...server, ...noBatching].map((l) => l.concurrency))].sort((a, b) => a - b);
  return cs.map((c) => {
    const sl = server.find((l) => l.concurrency === c);
    const nl = noBatching.find((l) => l.concurrency === c);
    const s = sl?.samplesPerSec ?? null;
    const nb = nl?.samplesPerSec ?? null;
    return {
      concurrency: c,
      serverSamplesPerSec: s,
      noBatchingSamplesPerSec: nb,
      serverOverEngine: ratio(s, engine.best.samplesPerSec),
      batchingSpeedup: ratio(s, nb),
      serverOverEngineCpu: ratio(sl?.samplesPerCpuSecond, engine.best.samplesPerCpuSecond),
      batchingSpeedupCpu: ratio(sl?.samplesPerCpuSecond, nl?.samplesPerCpuSecond),
    };
  });
}

const latencyPair = (l: ServerLevel | undefined): LatencyPair | null => (l ? { p50: l.latencyMs.p50, p99: l.latencyMs.p99 } : null);

/** The int8 server against the fp32 one per concurrency (the concurrencies both ran). */
export function compareInt8(fp32: ServerLevel[], int8: ServerLevel[], engineInt8?: EngineCeiling): Int8ServerComparison[] {
  const cs = [...new Set(int8.map((l) => l.concurrency))].filter((c) => fp32.some((l) => l.concurrency === c)).sort((a, b) => a - b);
  return cs.map((c) => {
    const f = fp32.find((l) => l.concurrency === c)!;
    const q = int8.find((l) => l.concurrency === c)!;
    return {
      concurrency: c,
      fp32SamplesPerSec: f.samplesPerSec,
      int8SamplesPerSec: q.samplesPerSec,
      int8OverFp32: ratio(q.samplesPerSec, f.samplesPerSec),
      fp32SamplesPerCpuSecond: f.samplesPerCpuSecond,
      int8SamplesPerCpuSecond: q.samplesPerCpuSecond,
      int8OverFp32Cpu: ratio(q.samplesPerCpuSecond, f.samplesPerCpuSecond),
      int8ServerOverEngine: ratio(q.samplesPerSec, engineInt8?.best.samplesPerSec),
      fp32LatencyMs: latencyPair(f),
      int8LatencyMs: latencyPair(q),
    };
  });
}

/** p50/p99 of the fp32 and int8 servers at the lowest concurrency run and at `concurrency`. */
export function latencyAt(fp32: ServerLevel[], int8: ServerLevel[], concurrency: number): LatencyAt[] {
  const all = [...fp32, ...int8].map((l) => l.concurrency);
  if (all.length === 0) return [];
  const cs = [...new Set([Math.min(...all), concurrency])].sort((a, b) => a - b);
  return cs.map((c) => ({ concurrency: c, fp32: latencyPair(fp32.find((l) => l.concurrency === c)), int8: latencyPair(int8.find((l) => l.concurrency === c)) }));
}

const target = (goal: number, value: number | null): Target => ({ target: goal, value, met: value !== null && value >= goal });

/** Issue 16: the int8 server at least twice the fp32 server's samples/s at concurrency 32. */
export const INT8_SERVER_TARGET = 2;

export interface SummaryInput {
  startedAt: string;
  durationSeconds: number;
  quick: boolean;
  model: ModelInfo;
  layout: BenchServeResult["layout"];
  machine: MachineInfo;
  denoiserFlopsPerRow: number;
  peak: GemmPeak;
  results: Omit<StepsResult, "comparison" | "int8Comparison">[];
  autoDenoiser?: { denoiser: string; reason: string };
  notes?: string[];
  /** Defaults: steps 50 (else the most steps run), concurrency 32 (else the highest run). */
  headlineSteps?: number;
  headlineConcurrency?: number;
}

/** Assembles the result file: comparisons per steps and the headline fields. */
export function buildResult(o: SummaryInput): BenchServeResult {
  if (o.results.length === 0) throw new Error("no results");
  const results: StepsResult[] = o.results.map((r) => ({ ...r, comparison: compare(r.engine, r.server, r.noBatching), int8Comparison: compareInt8(r.server, r.serverInt8, r.engineInt8) }));
  const stepsRun = results.map((r) => r.steps);
  const steps = o.headlineSteps ?? (stepsRun.includes(50) ? 50 : Math.max(...stepsRun));
  const head = results.find((r) => r.steps === steps);
  if (!head) throw new Error(`no results for ${steps} steps`);
  const concs = head.comparison.map((c) => c.concurrency);
  const concurrency = o.headlineConcurrency ?? (concs.includes(32) ? 32 : Math.max(0, ...concs));
  const at = head.comparison.find((c) => c.concurrency === concurrency);
  const engineSamplesPerSec = head.engine.best.samplesPerSec;
  const serverAt = at?.serverSamplesPerSec ?? null;
  const denoiserGflops = head.engine.best.denoiserGflops;
  const fraction = round(denoiserGflops / o.peak.gflops, 4);
  const denoiserCpu = head.engine.best.denoiserGflopsPerCpuSecond;
  const fractionCpu = round(denoiserCpu / o.peak.gflopsPerCpuSecond, 4);
  const ratioAt32 = ratio(serverAt, engineSamplesPerSec);
  const int8 = head.engineInt8 ? ratio(head.engineInt8.best.samplesPerSec, engineSamplesPerSec) : null;
  const q = head.int8Comparison.find((c) => c.concurrency === concurrency);
  return {
    schema: "ldtext-bench-serve/2",
    engineSamplesPerSec,
    serverSamplesPerSecAt32: serverAt,
    ratioAt32,
    noBatchingSamplesPerSecAt32: at?.noBatchingSamplesPerSec ?? null,
    ratioAt32Cpu: at?.serverOverEngineCpu ?? null,
    denoiserGflops,
    peakGflops: o.peak.gflops,
    denoiserPeakFraction: fraction,
    denoiserGflopsPerCpuSecond: denoiserCpu,
    peakGflopsPerCpuSecond: o.peak.gflopsPerCpuSecond,
    denoiserPeakFractionCpu: fractionCpu,
    ...(int8 !== null ? { int8EngineSpeedup: int8 } : {}),
    int8ServerSamplesPerSecAt32: q?.int8SamplesPerSec ?? null,
    int8OverFp32ServerAt32: q?.int8OverFp32 ?? null,
    int8OverFp32ServerAt32Cpu: q?.int8OverFp32Cpu ?? null,
    serverLatency: latencyAt(head.server, head.serverInt8, concurrency),
    ...(o.autoDenoiser ? { autoDenoiser: o.autoDenoiser } : {}),
    headline: { steps, concurrency },
    targets: {
      serverOverEngineAt32: target(0.9, ratioAt32),
      serverOverEngineAt32Cpu: target(0.9, at?.serverOverEngineCpu ?? null),
      denoiserOverPeak: target(0.5, fraction),
      denoiserOverPeakCpu: target(0.5, fractionCpu),
      int8OverFp32ServerAt32: target(INT8_SERVER_TARGET, q?.int8OverFp32 ?? null),
      int8OverFp32ServerAt32Cpu: target(INT8_SERVER_TARGET, q?.int8OverFp32Cpu ?? null),
    },
    startedAt: o.startedAt,
    durationSeconds: round(o.durationSeconds, 1),
    quick: o.quick,
    model: o.model,
    layout: o.layout,
    machine: o.machine,
    denoiserFlopsPerRow: o.denoiserFlopsPerRow,
    peak: o.peak,
    results,
    notes: o.notes ?? [],
  };
}

const fmt = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined ? "—" : x.toFixed(digits));
const ms = (x: number | null | undefined): string => (x === null || x === undefined ? "—" : Math.round(x).toString());

/** The markdown report: headline, one table per steps, the GEMM/FLOP table. */
export function formatMarkdown(r: BenchServeResult): string {
  const out: string[] = [];
  const m = r.model;
  out.push(`# Serving benchmark (\`npm run bench:serve\`)`);
  out.push("");
  out.push(
    `Model \`${m.id}@${m.version}\` (${m.source}${m.preset ? `, ${m.preset} preset` : ""}: L=${m.L}, d=${m.d}, Dif ${m.dif.layers}×${m.dif.dModel}, F=${m.dif.ffn}), ` +
      `${r.layout.workers} worker(s) × ${r.layout.intraOpThreads} intra-op thread(s), ROW_BUDGET ${r.layout.rowBudget} (no batching: ${r.layout.noBatchingRowBudget}). ` +
      `${r.machine.cpus} × ${r.machine.cpuModel} (int8 kernel ${r.machine.cpu.int8Kernel}), load average ${r.machine.loadAverageStart.map((x) => x.toFixed(1)).join("/")} at start` +
      `, ${r.machine.loadAverageEnd.map((x) => x.toFixed(1)).join("/")} at end. ${r.quick ? "**--quick** run (short windows). " : ""}${r.startedAt}, ${r.durationSeconds} s.`,
  );
  out.push("");
  const t = r.targets;
  out.push(`| headline (steps ${r.headline.steps}) | value | target |`);
  out.push(`|---|---|---|`);
  out.push(`| engine ceiling, samples/s | ${fmt(r.engineSamplesPerSec)} | |`);
  out.push(`| server at concurrency ${r.headline.concurrency}, samples/s | ${fmt(r.serverSamplesPerSecAt32)} | |`);
  out.push(`| server / engine | ${fmt(r.ratioAt32, 3)} | ≥ ${t.serverOverEngineAt32.target} ${t.serverOverEngineAt32.met ? "✓" : "✗"} |`);
  out.push(`| server / engine, per CPU second | ${fmt(r.ratioAt32Cpu, 3)} | ≥ ${t.serverOverEngineAt32Cpu.target} ${t.serverOverEngineAt32Cpu.met ? "✓" : "✗"} |`);
  out.push(`| no batching at concurrency ${r.headline.concurrency}, samples/s | ${fmt(r.noBatchingSamplesPerSecAt32)} | |`);
  out.push(`| denoiser GFLOP/s (engine, best batch) | ${fmt(r.denoiserGflops, 1)} | |`);
  out.push(`| fp32 GEMM peak GFLOP/s (${r.peak.M}×${r.peak.K}×${r.peak.N}, one session, ${r.peak.sessions * r.peak.threads} thread(s), best round) | ${fmt(r.peakGflops, 1)} | |`);
  out.push(`| denoiser / peak | ${fmt(r.denoiserPeakFraction, 3)} | ≥ ${t.denoiserOverPeak.target} ${t.denoiserOverPeak.met ? "✓" : "✗"} |`);
  out.push(`| denoiser GFLOP per CPU second | ${fmt(r.denoiserGflopsPerCpuSecond, 1)} | |`);
  out.push(`| GEMM GFLOP per CPU second | ${fmt(r.peakGflopsPerCpuSecond, 1)} | |`);
  out.push(`| denoiser / peak, per CPU second | ${fmt(r.denoiserPeakFractionCpu, 3)} | ≥ ${t.denoiserOverPeakCpu.target} ${t.denoiserOverPeakCpu.met ? "✓" : "✗"} |`);
  if (r.int8EngineSpeedup !== undefined) out.push(`| int8 / fp32 engine ceiling | ${fmt(r.int8EngineSpeedup, 3)} | |`);
  if (r.int8ServerSamplesPerSecAt32 !== null) {
    out.push(`| server int8 (DENOISER=int8) at concurrency ${r.headline.concurrency}, samples/s | ${fmt(r.int8ServerSamplesPerSecAt32)} | |`);
    out.push(`| **server int8 / fp32** at concurrency ${r.headline.concurrency} (side by side) | ${fmt(r.int8OverFp32ServerAt32, 3)} | ≥ ${t.int8OverFp32ServerAt32.target} ${t.int8OverFp32ServerAt32.met ? "✓" : "✗"} |`);
    out.push(`| server int8 / fp32, per CPU second | ${fmt(r.int8OverFp32ServerAt32Cpu, 3)} | ≥ ${t.int8OverFp32ServerAt32Cpu.target} ${t.int8OverFp32ServerAt32Cpu.met ? "✓" : "✗"} |`);
  }
  const pair = (p: LatencyPair | null): string => (p ? `${ms(p.p50)} / ${ms(p.p99)}` : "—");
  for (const l of r.serverLatency) {
    out.push(`| server p50 / p99 ms at concurrency ${l.concurrency}: fp32 · int8 | ${pair(l.fp32)} · ${pair(l.int8)} | |`);
  }
  if (r.autoDenoiser) out.push(`| server default (DENOISER=auto) serves | ${r.autoDenoiser.denoiser} (${r.autoDenoiser.reason.replaceAll("|", "\\|")}) | |`);
  out.push("");
  for (const s of r.results) {
    out.push(`## ${s.steps} steps`);
    out.push("");
    out.push(`| setup | concurrency / batch | samples/s | × engine | samples / CPU s | × engine (CPU) | p50 ms | p95 ms | p99 ms | rows / denoiser call | requests |`);
    out.push(`|---|---|---|---|---|---|---|---|---|---|---|`);
    const eng = s.engine.best.samplesPerSec;
    const engCpu = s.engine.best.samplesPerCpuSecond;
    for (const e of [s.engine, ...(s.engineInt8 ? [s.engineInt8] : [])]) {
      for (const p of e.sweep) {
        const star = p.batch === e.best.batch ? " (best)" : "";
        out.push(`| engine ${e.precision}, no HTTP | batch ${p.batch}${star} | ${fmt(p.samplesPerSec)} | ${fmt(ratio(p.samplesPerSec, eng), 3)} | ${fmt(p.samplesPerCpuSecond)} | ${fmt(ratio(p.samplesPerCpuSecond, engCpu), 3)} | | | | ${p.batch} | ${p.samples} samples |`);
      }
    }
    for (const l of [...s.server, ...s.serverInt8, ...s.noBatching]) {
      const label = `server ${l.denoiser}, ${l.mode === "batching" ? "batching" : "no batching"}`;
      out.push(
        `| ${label} | ${l.concurrency} | ${fmt(l.samplesPerSec)} | ${fmt(ratio(l.samplesPerSec, eng), 3)} | ${fmt(l.samplesPerCpuSecond)} | ${fmt(ratio(l.samplesPerCpuSecond, engCpu), 3)} | ${ms(l.latencyMs.p50)} | ${ms(l.latencyMs.p95)} | ${ms(l.latencyMs.p99)} | ${fmt(l.meanRowsPerDenoiserCall, 1)} | ${l.requests}${l.failed ? ` (${l.failed} failed)` : ""}${l.truncated ? " (cut at the time cap)" : ""} |`,
      );
    }
    out.push("");
    if (s.int8Comparison.length > 0) {
      out.push(`int8 vs fp32 server, ${s.steps} steps (levels alternated, each pair under the same load):`);
      out.push("");
      out.push(`| concurrency | fp32 samples/s | int8 samples/s | int8 / fp32 | fp32 samples / CPU s | int8 samples / CPU s | int8 / fp32 (CPU) | int8 server / int8 engine | fp32 p50 / p99 ms | int8 p50 / p99 ms |`);
      out.push(`|---|---|---|---|---|---|---|---|---|---|`);
      for (const c of s.int8Comparison) {
        out.push(
          `| ${c.concurrency} | ${fmt(c.fp32SamplesPerSec)} | ${fmt(c.int8SamplesPerSec)} | ${fmt(c.int8OverFp32, 3)} | ${fmt(c.fp32SamplesPerCpuSecond)} | ${fmt(c.int8SamplesPerCpuSecond)} | ${fmt(c.int8OverFp32Cpu, 3)} | ${fmt(c.int8ServerOverEngine, 3)} | ${pair(c.fp32LatencyMs)} | ${pair(c.int8LatencyMs)} |`,
        );
      }
      out.push("");
    }
  }
  if (r.notes.length > 0) {
    out.push("Notes:");
    out.push("");
    for (const n of r.notes) out.push(`- ${n}`);
    out.push("");
  }
  return out.join("\n");
}
