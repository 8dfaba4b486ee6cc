// The engine ceiling: W worker threads (the server's WORKERS) with T intra-op threads each, every one
// running whole samples of a fixed batch size in a closed loop (engine-thread.ts). Samples/s over
// the wall time from the common start to the last finished batch; a sweep over batch sizes finds
// the best one.
import { Worker } from "node:worker_threads";
import type { ScheduleConfig } from "@ldtext/core";
import type { EngineMessage, EngineRunReply } from "./engine-protocol.ts";
import type { EngineBatchPoint, EngineCeiling } from "./summary.ts";
import { bestPoint } from "./summary.ts";
import { cpuSeconds } from "./peak.ts";

export interface EnginePoolOptions {
  denoiser: string;
  decoder: string;
  workers: number;
  threads: number;
  L: number;
  d: number;
  schedule: ScheduleConfig;
}

class EngineThread {
  private readonly worker = new Worker(new URL("./engine-entry.mjs", import.meta.url), { execArgv: [] });
  private waiting: ((r: EngineRunReply) => void) | null = null;
  private failure: Error | null = null;

  constructor() {
    this.worker.on("message", (m: EngineRunReply) => this.settle(m));
    this.worker.on("error", (e) => this.die(e));
    this.worker.on("exit", (code) => this.die(new Error(`engine thread exited (code ${code})`)));
  }

  private settle(m: EngineRunReply): void {
    const w = this.waiting;
    this.waiting = null;
    w?.(m);
  }

  private die(e: Error): void {
    this.failure ??= e;
    this.settle({ kind: "error", error: e.message });
  }

  async request(m: EngineMessage): Promise<EngineRunReply> {
    if (this.failure) throw this.failure;
    const reply = await new Promise<EngineRunReply>((resolve) => {
      this.waiting = resolve;
      this.worker.postMessage(m);
    });
    if (reply.kind === "error") throw new Error(`engine thread: ${reply.error}`);
    return reply;
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((r) => this.worker.once("exit", () => r()));
    this.worker.postMessage({ kind: "close" } satisfies EngineMessage);
    const timer = setTimeout(() => void this.worker.terminate(), 3000);
    await exited;
    clearTimeout(timer);
  }
}

export class EnginePool {
  private constructor(
    private readonly threads: EngineThread[],
    readonly options: EnginePoolOptions,
  ) {}

  static async start(o: EnginePoolOptions): Promise<EnginePool> {
    const threads = Array.from({ length: o.workers }, () => new EngineThread());
    try {
      await Promise.all(threads.map((t) => t.request({ kind: "init", denoiser: o.denoiser, decoder: o.decoder, threads: o.threads, L: o.L, d: o.d, schedule: o.schedule })));
    } catch (e) {
      await Promise.all(threads.map((t) => t.close()));
      throw e;
    }
    return new EnginePool(threads, o);
  }

  /** Every worker runs `batch`-row samples for `seconds` (the last batch is finished). */
  async measure(batch: number, steps: number, seconds: number, flopsPerRow: number): Promise<EngineBatchPoint> {
    const t0 = performance.now();
    const cpu0 = cpuSeconds();
    const replies = await Promise.all(this.threads.map((t, i) => t.request({ kind: "run", batch, steps, seconds, seed: 1000 * (i + 1) })));
    const wallS = (performance.now() - t0) / 1000;
    const cpuS = cpuSeconds() - cpu0;
    let samples = 0;
    let calls = 0;
    let denoiserMs = 0;
    const batchMs: number[] = [];
    for (const r of replies) {
      if (r.kind !== "done") throw new Error("engine thread gave no result");
      samples += r.samples;
      calls += r.batches * steps;
      denoiserMs += r.denoiserMs;
      batchMs.push(...r.batchMs);
    }
    return {
      batch,
      samples,
      seconds: Number(wallS.toFixed(2)),
      samplesPerSec: Number((samples / wallS).toFixed(3)),
      denoiserCalls: calls,
      denoiserMsMean: Number((denoiserMs / calls).toFixed(2)),
      denoiserGflops: Number(((samples * steps * flopsPerRow) / wallS / 1e9).toFixed(2)),
      sampleLatencyMs: Number((batchMs.reduce((s, v) => s + v, 0) / batchMs.length).toFixed(1)),
      cpuSeconds: Number(cpuS.toFixed(2)),
      denoiserGflopsPerCpuSecond: Number(((samples * steps * flopsPerRow) / cpuS / 1e9).toFixed(2)),
      samplesPerCpuSecond: Number((samples / cpuS).toFixed(3)),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.close()));
  }
}

export interface SweepOptions {
  precision: "fp32" | "int8";
  steps: number;
  batches: number[];
  seconds: number;
  flopsPerRow: number;
  onPoint?: (p: EngineBatchPoint) => void;
}

export async function sweepEngine(pool: EnginePool, o: SweepOptions): Promise<EngineCeiling> {
  const sweep: EngineBatchPoint[] = [];
  for (const b of o.batches) {
    const p = await pool.measure(b, o.steps, o.seconds, o.flopsPerRow);
    sweep.push(p);
    o.onPoint?.(p);
  }
  return { precision: o.precision, steps: o.steps, sweep, best: bestPoint(sweep) };
}
