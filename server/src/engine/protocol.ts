// Messages between the main thread and an engine worker. Arrays travel with their ArrayBuffers
// listed as transferables, so a batch crosses the thread boundary without a copy. The worker holds
// the model as core's OrtModel; `step`, `denoise`, `decode` and `encode` are its ModelBackend calls,
// `run` one raw graph call (the int8 load-time check feeds the denoiser its own inputs).

import type { ConditionEncoding, DenoiseBatch, ModelShape, ScheduleConfig, StepBatch, StepResult } from "@ldtext/core";

export type TensorType = "float32" | "int64";

export interface WireTensor {
  type: TensorType;
  dims: number[];
  data: ArrayBuffer;
}

export type ExecutionProvider = "cpu" | "cuda";

export interface InitRequest {
  kind: "init";
  /** Graph name → absolute .onnx path (external data sits beside it). */
  graphs: Record<string, string>;
  ep: "cpu" | "cuda" | "auto";
  strict: boolean;
  deviceId: number;
  intraOpThreads: number;
  /** ORT session options (default true each): the CPU arena allocator and memory-pattern planning. */
  cpuMemArena?: boolean;
  memPattern?: boolean;
  /** The model's noise schedule, for the sampler math of `step`. */
  schedule: ScheduleConfig;
  /** Latent and condition sizes of the model's graphs. */
  shape: ModelShape;
}

export interface InitReply {
  kind: "init";
  ok: boolean;
  ep?: ExecutionProvider;
  /** Why CUDA was not used (when it was asked for, or tried by `auto`). */
  fallbackReason?: string;
  error?: string;
}

export interface RunRequest {
  kind: "run";
  id: number;
  graph: string;
  feeds: Record<string, WireTensor>;
  /** Output names to fetch (others are not copied back). */
  outputs: string[];
}

/** A denoiser call plus the sampler update (core's OrtModel.step), both in the worker. */
export interface StepRequest {
  kind: "step";
  id: number;
  batch: StepBatch;
}

export interface DenoiseRequest {
  kind: "denoise";
  id: number;
  batch: DenoiseBatch;
}

export interface DecodeRequest {
  kind: "decode";
  id: number;
  latents: Float32Array;
  rows: number;
}

export interface EncodeRequest {
  kind: "encode";
  id: number;
  tokens: Int32Array;
}

export type CallRequest = RunRequest | StepRequest | DenoiseRequest | DecodeRequest | EncodeRequest;

/** What each call answers. */
export interface CallResults {
  run: Record<string, WireTensor>;
  step: StepResult;
  denoise: Float32Array;
  decode: Int32Array;
  encode: ConditionEncoding;
}

export interface CallReply {
  kind: "reply";
  id: number;
  value?: CallResults[keyof CallResults];
  error?: string;
}

export interface CloseRequest {
  kind: "close";
}

export type ToWorker = InitRequest | CallRequest | CloseRequest;
export type FromWorker = InitReply | CallReply;
