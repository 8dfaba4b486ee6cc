// ModelBackend over an engine worker: shapes the scheduler's flat arrays into the MODEL-SPEC graph
// inputs (denoiser x_t/x_sc/t[/cond/cond_mask], decoder latents → ids, cond_encoder tokens/mask).
import type { ConditionEncoding, DenoiseBatch, ModelBackend, StepBatch, StepResult } from "@ldtext/core";
import type { EngineWorker } from "./engine-worker.ts";
import type { WireTensor } from "./protocol.ts";

const f32 = (a: Float32Array, dims: number[]): WireTensor => ({ type: "float32", dims, data: copyBuffer(a) });

/** A standalone buffer of exactly this view (views may share a larger buffer; transfer needs its own). */
function copyBuffer(a: Float32Array | BigInt64Array): ArrayBuffer {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? (a.buffer as ArrayBuffer) : (a.slice().buffer as ArrayBuffer);
}

export class OnnxBackend implements ModelBackend {
  constructor(
    private readonly worker: EngineWorker,
    readonly L: number,
    readonly d: number,
    readonly condDim: number,
  ) {}

  private feeds(b: DenoiseBatch): Record<string, WireTensor> {
    const { L, d } = this;
    const feeds: Record<string, WireTensor> = {
      x_t: f32(b.x, [b.rows, L, d]),
      x_sc: f32(b.xsc, [b.rows, L, d]),
      t: f32(b.t, [b.rows]),
    };
    if (this.condDim > 0) {
      if (!b.cond) throw new Error("a conditional model needs cond inputs");
      feeds.cond = f32(b.cond.data, [b.rows, b.cond.S, this.condDim]);
      feeds.cond_mask = f32(b.cond.mask, [b.rows, b.cond.S]);
    }
    return feeds;
  }

  /** The denoiser alone (warm-up, tests). */
  async denoise(b: DenoiseBatch): Promise<Float32Array> {
    const out = await this.worker.run("denoiser", this.feeds(b), ["x0_hat"]);
    return new Float32Array(out.x0_hat.data);
  }

  async step(b: StepBatch): Promise<StepResult> {
    const out = await this.worker.step(this.feeds(b), b.samples, this.L * this.d);
    return { x: new Float32Array(out.x.data), x0: new Float32Array(out.x0.data) };
  }

  async decode(latents: Float32Array, rows: number): Promise<Int32Array> {
    const out = await this.worker.run("decoder", { latents: f32(latents, [rows, this.L, this.d]) }, ["ids"]);
    return Int32Array.from(new BigInt64Array(out.ids.data), (v) => Number(v));
  }

  async encodeCondition(tokens: Int32Array): Promise<ConditionEncoding> {
    const len = tokens.length;
    const ids = BigInt64Array.from(tokens, (v) => BigInt(v));
    const mask = new Float32Array(len).fill(1);
    const out = await this.worker.run(
      "cond_encoder",
      { tokens: { type: "int64", dims: [1, len], data: ids.buffer as ArrayBuffer }, mask: f32(mask, [1, len]) },
      ["cond", "null_cond"],
    );
    return { cond: new Float32Array(out.cond.data), len, nullCond: new Float32Array(out.null_cond.data) };
  }
}
