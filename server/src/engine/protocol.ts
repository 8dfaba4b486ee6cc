// Messages between the main thread and an engine worker. Tensors travel as raw ArrayBuffers listed
// as transferables, so a batch crosses the thread boundary without a copy.

import type { ScheduleConfig } from "@ldtext/core";
import type { SamplePlan } from "@ldtext/core";

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

export interface RunReply {
  kind: "run";
  id: number;
  outputs?: Record<string, WireTensor>;
  error?: string;
}

/** A denoiser call plus the sampler update (core's initLatents/applySampler), both in the worker. */
export interface StepRequest {
  kind: "step";
  id: number;
  feeds: Record<string, WireTensor>;
  samples: SamplePlan[];
  /** L·d, one latent row. */
  ld: number;
}

export interface CloseRequest {
  kind: "close";
}

export type ToWorker = InitRequest | RunRequest | StepRequest | CloseRequest;
export type FromWorker = InitReply | RunReply;
