// A model version's ONNX graphs as the scheduler's ModelBackend, in-process: the MODEL-SPEC graph
// inputs built from the scheduler's flat arrays (denoiser x_t/x_sc/t[/cond/cond_mask], decoder
// latents → ids, cond_encoder tokens/mask → cond/null_cond) and the per-step sampler update. The
// server's engine worker thread runs one; offline sampling (export's sampleArtifact) runs one on
// its own thread, so both sample through the same code.
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { modelShape } from "../config.ts";
import type { ModelShape } from "../config.ts";
import type { Manifest } from "../manifest.ts";
import { applySampler, initLatents } from "../scheduler/apply.ts";
import type { ConditionEncoding, DenoiseBatch, ModelBackend, SamplingMath, StepBatch, StepResult } from "../scheduler/types.ts";
import { createSession } from "./session.ts";
import type { SessionOptions } from "./session.ts";

export interface OrtSessions {
  denoiser: ort.InferenceSession;
  decoder: ort.InferenceSession;
  /** Summarize models only. */
  condEncoder?: ort.InferenceSession;
}

/** The denoiser's feeds for a batch (views on the batch's arrays, no copy). */
export function denoiserFeeds(b: DenoiseBatch, shape: ModelShape): Record<string, ort.Tensor> {
  const { L, d, condDim } = shape;
  const feeds: Record<string, ort.Tensor> = {
    x_t: new ort.Tensor("float32", b.x, [b.rows, L, d]),
    x_sc: new ort.Tensor("float32", b.xsc, [b.rows, L, d]),
    t: new ort.Tensor("float32", b.t, [b.rows]),
  };
  if (condDim > 0) {
    if (!b.cond) throw new Error("a conditional model needs cond inputs");
    feeds.cond = new ort.Tensor("float32", b.cond.data, [b.rows, b.cond.S, condDim]);
    feeds.cond_mask = new ort.Tensor("float32", b.cond.mask, [b.rows, b.cond.S]);
  }
  return feeds;
}

/** The condition encoder's feeds for one document's tokens (all real: mask 1). */
export function condEncoderFeeds(tokens: Int32Array): Record<string, ort.Tensor> {
  const len = tokens.length;
  return {
    tokens: new ort.Tensor("int64", BigInt64Array.from(tokens, (v) => BigInt(v)), [1, len]),
    mask: new ort.Tensor("float32", new Float32Array(len).fill(1), [1, len]),
  };
}

export class OrtModel implements ModelBackend {
  readonly L: number;
  readonly d: number;
  readonly condDim: number;

  constructor(
    private readonly sessions: OrtSessions,
    shape: ModelShape,
    /** The model's schedule (and tEnd): the sampler update of `step`. */
    private readonly math: SamplingMath,
  ) {
    ({ L: this.L, d: this.d, condDim: this.condDim } = shape);
  }

  /** x̂0 `[rows, L, d]` of the denoiser alone (ORT's output buffer: copy it to keep or transfer it). */
  async denoise(b: DenoiseBatch): Promise<Float32Array> {
    const out = await this.sessions.denoiser.run(denoiserFeeds(b, this), ["x0_hat"]);
    return out.x0_hat.data as Float32Array;
  }

  /** Step 0's initial noise into `b.x` (in place), the denoiser, then every sample's update. */
  async step(b: StepBatch): Promise<StepResult> {
    const ld = this.L * this.d;
    initLatents(b, this.math, ld);
    return applySampler(await this.denoise(b), b, this.math, ld);
  }

  async decode(latents: Float32Array, rows: number): Promise<Int32Array> {
    const out = await this.sessions.decoder.run({ latents: new ort.Tensor("float32", latents, [rows, this.L, this.d]) }, ["ids"]);
    return Int32Array.from(out.ids.data as BigInt64Array, (v) => Number(v));
  }

  async encodeCondition(tokens: Int32Array): Promise<ConditionEncoding> {
    const s = this.sessions.condEncoder;
    if (!s) throw new Error("this model has no condition encoder");
    const out = await s.run(condEncoderFeeds(tokens), ["cond", "null_cond"]);
    return { cond: new Float32Array(out.cond.data as Float32Array), len: tokens.length, nullCond: new Float32Array(out.null_cond.data as Float32Array) };
  }

  async release(): Promise<void> {
    const { denoiser, decoder, condEncoder } = this.sessions;
    await Promise.all([denoiser.release(), decoder.release(), condEncoder?.release()]);
  }
}

export interface ArtifactModelOptions extends SessionOptions {
  /** Which denoiser graph: the float one (default) or the artifact's int8 `denoiser_int8`. */
  denoiser?: "fp32" | "int8";
  /** Run this denoiser graph file instead of the manifest's (e.g. an int8 candidate being measured). */
  denoiserFile?: string;
}

/** An artifact folder's graphs (the ones its task samples with) as an OrtModel. */
export async function openArtifactModel(dir: string, m: Manifest, math: SamplingMath, o: ArtifactModelOptions = {}): Promise<OrtModel> {
  const { denoiser = "fp32", denoiserFile, ...session } = o;
  const path = (role: "denoiser" | "denoiser_int8" | "decoder" | "cond_encoder"): string => {
    const g = m.graphs[role];
    if (!g) throw new Error(`${dir}: the manifest lists no ${role} graph`);
    return join(dir, g.file);
  };
  const opened: ort.InferenceSession[] = [];
  const open = async (file: string) => {
    const s = await createSession(file, session);
    opened.push(s);
    return s;
  };
  try {
    const sessions: OrtSessions = {
      denoiser: await open(denoiserFile ?? path(denoiser === "int8" ? "denoiser_int8" : "denoiser")),
      decoder: await open(path("decoder")),
      ...(m.task === "summarize" ? { condEncoder: await open(path("cond_encoder")) } : {}),
    };
    return new OrtModel(sessions, modelShape(m.config), math);
  } catch (e) {
    await Promise.all(opened.map((s) => s.release()));
    throw e;
  }
}
