// Messages between the bench's main thread and its engine-ceiling worker threads.
import type { ScheduleConfig } from "@ldtext/core";

export interface EngineInit {
  kind: "init";
  denoiser: string;
  decoder: string;
  threads: number;
  L: number;
  d: number;
  schedule: ScheduleConfig;
}

export interface EngineRun {
  kind: "run";
  batch: number;
  steps: number;
  /** Start new batches while this many seconds have not passed. */
  seconds: number;
  seed: number;
}

export type EngineMessage = EngineInit | EngineRun | { kind: "close" };

export type EngineRunReply =
  | { kind: "ready" }
  | { kind: "done"; samples: number; batches: number; ms: number; denoiserMs: number; batchMs: number[] }
  | { kind: "error"; error: string };
