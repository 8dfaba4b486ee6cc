// ModelBackend over an engine worker: each call goes to the worker's OrtModel (core/onnx, which
// builds the graph inputs), with the batch's buffers transferred rather than copied.
import type { ConditionEncoding, DenoiseBatch, ModelBackend, StepBatch, StepResult } from "@ldtext/core";
import type { EngineWorker } from "./engine-worker.ts";

/** An array that owns its whole buffer (transfer detaches every view on a buffer; a view is copied). */
function own<T extends Float32Array | Int32Array>(a: T): T {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : (a.slice() as T);
}

/** The batch with arrays of their own, and the buffers to transfer. */
function transferable<B extends DenoiseBatch>(b: B): [B, ArrayBuffer[]] {
  const out = { ...b, x: own(b.x), xsc: own(b.xsc), t: own(b.t), cond: b.cond ? { ...b.cond, data: own(b.cond.data), mask: own(b.cond.mask) } : undefined };
  const arrays = [out.x, out.xsc, out.t, ...(out.cond ? [out.cond.data, out.cond.mask] : [])];
  // x and x_sc may be one array (a caller's shortcut): transfer each buffer once.
  return [out, [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))]];
}

export class OnnxBackend implements ModelBackend {
  constructor(
    private readonly worker: EngineWorker,
    readonly L: number,
    readonly d: number,
    readonly condDim: number,
  ) {}

  /** The denoiser alone (warm-up, tests). */
  denoise(b: DenoiseBatch): Promise<Float32Array> {
    const [batch, transfer] = transferable(b);
    return this.worker.call("denoise", { batch }, transfer);
  }

  step(b: StepBatch): Promise<StepResult> {
    const [batch, transfer] = transferable(b);
    return this.worker.call("step", { batch }, transfer);
  }

  decode(latents: Float32Array, rows: number): Promise<Int32Array> {
    const lat = own(latents);
    return this.worker.call("decode", { latents: lat, rows }, [lat.buffer as ArrayBuffer]);
  }

  encodeCondition(tokens: Int32Array): Promise<ConditionEncoding> {
    // Copied, not transferred: the job keeps its tokens.
    return this.worker.call("encode", { tokens: tokens.slice() });
  }
}
