// The machine's fp32 GEMM peak as ONNX Runtime reaches it: one large MatMul graph (built with
// export's GraphBuilder, weights as an initializer like the denoiser's) in ONE session with every
// thread the engine uses (WORKERS × INTRA_OP_THREADS). Not several sessions awaited together:
// onnxruntime-node runs session.run synchronously on the calling thread, so they would run one after
// another and measure a single core (an earlier version did, and reported the denoiser at 1.8× "peak").
// Two figures: wall GFLOP/s of the best round (the peak), and GFLOP per CPU second over all rounds
// (process CPU time, so other tenants of a shared machine don't count).
import * as ort from "onnxruntime-node";
import { createSession } from "@ldtext/core/onnx";
import { GraphBuilder } from "@ldtext/export";
import { gemmFlops } from "./flops.ts";
import type { GemmPeak } from "./summary.ts";

const FLOAT = 1; // ONNX TensorProto.FLOAT

/** A `[M, K] × [K, N]` MatMul model with a seeded constant right-hand side, serialized. */
export function matmulModel(M: number, K: number, N: number, seed = 1): Uint8Array {
  const g = new GraphBuilder("gemm");
  const a = g.input("a", FLOAT, [M, K]);
  let s = seed >>> 0 || 1;
  // xorshift: any values do; they only need to be finite and not denormal.
  const w = Float32Array.from({ length: K * N }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 32 - 0.5) * 0.1;
  });
  g.op("MatMul", [a, g.initializer("w", w, [K, N])], {}, "y");
  g.output("y", FLOAT, [M, N]);
  return g.serialize().model;
}

export interface PeakOptions {
  M?: number;
  K?: number;
  N?: number;
  /** Concurrent sessions (the engine's workers). */
  sessions?: number;
  /** Intra-op threads per session. */
  threads: number;
  seconds: number;
  /** At least this many timed rounds even past `seconds`. */
  minCalls?: number;
}

/** CPU seconds this process has used (every thread: ORT's pools run inside it). */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export async function measureGemmPeak(o: PeakOptions): Promise<GemmPeak> {
  const M = o.M ?? 2048;
  const K = o.K ?? 2048;
  const N = o.N ?? 2048;
  const count = o.sessions ?? 1;
  const model = matmulModel(M, K, N);
  const session = await createSession(model, { threads: count * o.threads });
  try {
    const a = new ort.Tensor("float32", Float32Array.from({ length: M * K }, (_, i) => ((i % 97) - 48) / 97), [M, K]);
    await session.run({ a }); // warm-up: first call allocates and packs the weights
    const flops = gemmFlops(M, K, N);
    const rates: number[] = [];
    const cpu0 = cpuSeconds();
    const end = performance.now() + o.seconds * 1000;
    while (performance.now() < end || rates.length < (o.minCalls ?? 3)) {
      const t0 = performance.now();
      await session.run({ a });
      rates.push(flops / ((performance.now() - t0) / 1000) / 1e9);
    }
    const cpu = cpuSeconds() - cpu0;
    const perCpu = (flops * rates.length) / cpu / 1e9;
    rates.sort((x, y) => x - y);
    return {
      M,
      K,
      N,
      sessions: count,
      threads: o.threads,
      calls: rates.length,
      gflops: Number(rates[rates.length - 1].toFixed(2)),
      medianGflops: Number(rates[Math.floor(rates.length / 2)].toFixed(2)),
      gflopsPerCpuSecond: Number(perCpu.toFixed(2)),
    };
  } finally {
    await session.release();
  }
}
