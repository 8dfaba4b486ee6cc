// The TF.js inference networks as the scheduler's ModelBackend (core/src/scheduler): what training's
// samples run, so they sample with the server's loop (row layout, init noise, sampler update,
// self-conditioning) rather than a copy of it. The TF.js counterpart of core/onnx's OrtModel.
import * as tf from "@tensorflow/tfjs";
import { applySampler, initLatents, modelShape } from "@ldtext/core";
import type { ConditionEncoding, DenoiseBatch, ModelBackend, SamplingMath, StepBatch, StepResult } from "@ldtext/core";
import type { InferenceNetworks } from "./inference.ts";

/** x̂0 `[rows, L, d]` of the denoiser on a batch's flat arrays. */
export function denoiseRows(nets: InferenceNetworks, b: DenoiseBatch): Float32Array {
  const { maxLen: L, latentDim: d } = nets.modelConfig;
  return tf.tidy(() => {
    const c = b.cond;
    const Dc = c ? c.data.length / (b.rows * c.S) : 0;
    const out = nets.denoise(
      tf.tensor3d(b.x, [b.rows, L, d]),
      tf.tensor3d(b.xsc, [b.rows, L, d]),
      tf.tensor1d(b.t),
      c ? tf.tensor3d(c.data, [b.rows, c.S, Dc]) : undefined,
      c ? tf.tensor2d(c.mask, [b.rows, c.S]) : undefined,
    );
    return Float32Array.from(out.dataSync() as Float32Array);
  });
}

export class TfjsModel implements ModelBackend {
  readonly L: number;
  readonly d: number;
  readonly condDim: number;

  constructor(
    private readonly nets: InferenceNetworks,
    private readonly math: SamplingMath,
  ) {
    ({ L: this.L, d: this.d, condDim: this.condDim } = modelShape(nets.modelConfig));
  }

  async step(b: StepBatch): Promise<StepResult> {
    const ld = this.L * this.d;
    initLatents(b, this.math, ld);
    return applySampler(denoiseRows(this.nets, b), b, this.math, ld);
  }

  async decode(latents: Float32Array, rows: number): Promise<Int32Array> {
    return tf.tidy(() => Int32Array.from(tf.argMax(this.nets.decode(tf.tensor3d(latents, [rows, this.L, this.d])), -1).dataSync() as Int32Array));
  }

  async encodeCondition(tokens: Int32Array): Promise<ConditionEncoding> {
    const len = tokens.length;
    const cond = tf.tidy(() => Float32Array.from(this.nets.encodeCondition(tf.tensor2d(tokens, [1, len], "int32"), tf.ones([1, len])).dataSync() as Float32Array));
    return { cond, len, nullCond: this.nullCondition() };
  }

  /** The learned null condition `[Dc]`. */
  nullCondition(): Float32Array {
    return tf.tidy(() => Float32Array.from(this.nets.nullCondition().dataSync() as Float32Array));
  }
}
