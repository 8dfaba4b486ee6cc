// `UnsortedSegmentSum` for the wasm backend, which does not ship one. It is the gradient of
// `tf.gather` (every embedding lookup), so without it nothing with an embedding trains on wasm.
// A scatter-add over rows, done in JS directly on the wasm heap. Segment ids outside
// [0, numSegments) are skipped, as TensorFlow does for negative ids.
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";
import { f32View, i32View, type WasmBackendLike } from "../wasm-heap.ts";

interface UnsortedSegmentSumArgs {
  inputs: { x: TensorInfo; segmentIds: TensorInfo };
  backend: WasmBackendLike;
  attrs: NamedAttrMap;
}

function unsortedSegmentSum({ inputs, backend, attrs }: UnsortedSegmentSumArgs): TensorInfo {
  const { x, segmentIds } = inputs;
  const numSegments = Number(attrs.numSegments);
  if (x.dtype !== "float32" && x.dtype !== "int32") {
    throw new Error(`UnsortedSegmentSum (wasm) supports float32 and int32, got ${x.dtype}`);
  }
  if (segmentIds.dtype !== "int32") throw new Error(`segmentIds must be int32, got ${segmentIds.dtype}`);
  const idsRank = segmentIds.shape.length;
  for (let i = 0; i < idsRank; i++) {
    if (segmentIds.shape[i] !== x.shape[i]) {
      throw new Error(`segmentIds shape ${segmentIds.shape} must be a prefix of x shape ${x.shape}`);
    }
  }
  const inner = x.shape.slice(idsRank);
  let rowSize = 1;
  for (const d of inner) rowSize *= d;
  const out = backend.makeOutput([numSegments, ...inner], x.dtype);
  // Views after makeOutput (heap growth replaces the buffer).
  const ids = i32View(backend, segmentIds);
  const xs = x.dtype === "float32" ? f32View(backend, x) : i32View(backend, x);
  const ys = x.dtype === "float32" ? f32View(backend, out) : i32View(backend, out);
  ys.fill(0);
  for (let r = 0; r < ids.length; r++) {
    const s = ids[r];
    if (s < 0 || s >= numSegments) continue;
    const src = r * rowSize;
    const dst = s * rowSize;
    for (let j = 0; j < rowSize; j++) ys[dst + j] += xs[src + j];
  }
  return out;
}

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: "UnsortedSegmentSum",
  backendName: "wasm",
  kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
};
