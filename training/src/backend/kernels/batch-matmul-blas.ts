// `BatchMatMul` for the wasm backend on OpenBLAS sgemm. Why: the stock wasm kernel uses XNNPACK
// only for 2-D untransposed inputs; every transposed or batched product (the whole backward pass,
// attention) falls to a scalar loop at ~2 GFLOP/s, while sgemm on 2 threads runs at 150–300.
// Semantics follow tfjs's BatchMatMul: transposeA/B on the last two axes, leading (batch) axes
// broadcast numpy-style. Inputs are read and the output written in place on the wasm heap.
import { broadcast_util } from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";
import { NO_TRANS, TRANS, type Sgemm } from "../blas.ts";
import { f32View, type WasmBackendLike } from "../wasm-heap.ts";

/** Work done by the BLAS kernel since the last reset: FLOPs (2·M·N·K per product), sgemm calls, and —
 * when `byShape` is a Map — time per product shape `[batch×]M×N×K tA tB` (for the bench's breakdown). */
export const blasMatMulStats: { flops: number; calls: number; byShape: Map<string, { calls: number; ms: number; flops: number }> | null } = {
  flops: 0,
  calls: 0,
  byShape: null,
};

function record(key: string, ms: number, flops: number): void {
  const map = blasMatMulStats.byShape;
  if (map === null) return;
  const r = map.get(key) ?? { calls: 0, ms: 0, flops: 0 };
  r.calls += 1;
  r.ms += ms;
  r.flops += flops;
  map.set(key, r);
}

interface BatchMatMulArgs {
  inputs: { a: TensorInfo; b: TensorInfo };
  backend: WasmBackendLike;
  attrs: NamedAttrMap;
}

/** Strides (in matrices) of a batch shape aligned right against the output's batch shape; 0 = broadcast. */
function broadcastStrides(batch: readonly number[], outBatch: readonly number[]): number[] {
  const strides = new Array<number>(outBatch.length).fill(0);
  let stride = 1;
  for (let i = batch.length - 1; i >= 0; i--) {
    const o = outBatch.length - batch.length + i;
    strides[o] = batch[i] === 1 ? 0 : stride;
    stride *= batch[i];
  }
  return strides;
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function makeBlasBatchMatMul(sgemm: Sgemm): KernelFunc {
  function batchMatMul({ inputs, backend, attrs }: BatchMatMulArgs): TensorInfo {
    const { a, b } = inputs;
    const transposeA = attrs.transposeA === true;
    const transposeB = attrs.transposeB === true;
    if (a.dtype !== "float32" || b.dtype !== "float32") {
      throw new Error(`BatchMatMul (BLAS) supports float32 only, got ${a.dtype} and ${b.dtype}`);
    }
    const aRank = a.shape.length;
    const bRank = b.shape.length;
    if (aRank < 2 || bRank < 2) throw new Error(`BatchMatMul needs rank ≥ 2, got ${a.shape} and ${b.shape}`);
    const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
    const kA = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
    const kB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
    const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
    if (kA !== kB) {
      throw new Error(
        `Error in matMul: inner shapes (${kA}) and (${kB}) of Tensors with shapes ${a.shape} and ${b.shape} ` +
          `and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
      );
    }
    const k = kA;
    const aBatch = a.shape.slice(0, -2);
    const bBatch = b.shape.slice(0, -2);
    const outBatch = broadcast_util.assertAndGetBroadcastShape(aBatch, bBatch);
    const out = backend.makeOutput([...outBatch, m, n], "float32");
    const batches = product(outBatch);
    if (batches === 0 || m === 0 || n === 0) return out;
    // Views only now: makeOutput may have grown the heap and replaced its buffer.
    const av = f32View(backend, a);
    const bv = f32View(backend, b);
    const cv = f32View(backend, out);
    if (k === 0) {
      cv.fill(0);
      return out;
    }
    const ta = transposeA ? TRANS : NO_TRANS;
    const tb = transposeB ? TRANS : NO_TRANS;
    const lda = transposeA ? m : k;
    const ldb = transposeB ? k : n;
    const flops = 2 * batches * m * n * k;
    blasMatMulStats.flops += flops;
    const t0 = blasMatMulStats.byShape !== null ? performance.now() : 0;
    const aBatches = product(aBatch);
    const bBatches = product(bBatch);
    if (bBatches === 1 && !transposeA && aBatches === batches) {
      // x @ W with a shared W: the a-matrices are consecutive rows, so one big GEMM does it all.
      blasMatMulStats.calls += 1;
      sgemm(ta, tb, batches * m, n, k, 1, av, lda, bv, ldb, 0, cv, n);
      if (t0 !== 0) record(`${batches * m}×${n}×${k}${transposeB ? " Bᵀ" : ""}`, performance.now() - t0, flops);
      return out;
    }
    const aStrides = broadcastStrides(aBatch, outBatch);
    const bStrides = broadcastStrides(bBatch, outBatch);
    const aSize = m * k;
    const bSize = k * n;
    const cSize = m * n;
    const coords = new Array<number>(outBatch.length).fill(0);
    blasMatMulStats.calls += batches;
    for (let i = 0; i < batches; i++) {
      let ai = 0;
      let bi = 0;
      for (let d = 0; d < coords.length; d++) {
        ai += coords[d] * aStrides[d];
        bi += coords[d] * bStrides[d];
      }
      sgemm(
        ta,
        tb,
        m,
        n,
        k,
        1,
        av.subarray(ai * aSize, ai * aSize + aSize),
        lda,
        bv.subarray(bi * bSize, bi * bSize + bSize),
        ldb,
        0,
        cv.subarray(i * cSize, i * cSize + cSize),
        n,
      );
      // Advance the output batch coordinates (row-major odometer).
      for (let d = coords.length - 1; d >= 0; d--) {
        if (++coords[d] < outBatch[d]) break;
        coords[d] = 0;
      }
    }
    if (t0 !== 0) record(`${batches}×(${m}×${n}×${k})${transposeA ? " Aᵀ" : ""}${transposeB ? " Bᵀ" : ""}`, performance.now() - t0, flops);
    return out;
  }
  return batchMatMul as unknown as KernelFunc;
}

export function blasBatchMatMulConfig(sgemm: Sgemm): KernelConfig {
  return { kernelName: "BatchMatMul", backendName: "wasm", kernelFunc: makeBlasBatchMatMul(sgemm) };
}
