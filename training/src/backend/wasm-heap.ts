// Zero-copy access to tensors that live on the wasm backend's heap, for kernels written in JS or
// native code. The heap can grow (and its ArrayBuffer be replaced) during any allocation, so views
// must be taken *after* the kernel's last `makeOutput` and never kept across kernel calls.
import type { DataType, TensorInfo } from "@tensorflow/tfjs";

/** The part of tfjs-backend-wasm's BackendWasm these kernels use (its .d.ts types `wasm` loosely). */
export interface WasmBackendLike {
  wasm: { HEAPF32: Float32Array; HEAP32: Int32Array; HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

function offsetOf(backend: WasmBackendLike, t: TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined) throw new Error("tensor is not on the wasm backend (disposed?)");
  return data.memoryOffset;
}

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A Float32Array view of a float32 tensor's storage on the current heap. */
export function f32View(backend: WasmBackendLike, t: TensorInfo): Float32Array {
  const heap = backend.wasm.HEAPF32;
  return new Float32Array(heap.buffer, offsetOf(backend, t), sizeOf(t.shape));
}

/** An Int32Array view of an int32 tensor's storage on the current heap. */
export function i32View(backend: WasmBackendLike, t: TensorInfo): Int32Array {
  const heap = backend.wasm.HEAP32;
  return new Int32Array(heap.buffer, offsetOf(backend, t), sizeOf(t.shape));
}
