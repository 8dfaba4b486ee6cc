// The step the bench times. Until the trainer's own step (training/src/train) lands this is the
// clearly marked stand-in of stand-in-step.ts; switch here (one place) when it does.
import type { ModelConfig } from "@ldtext/core";
import { type BenchStep, createStandInStep } from "./stand-in-step.ts";

export type { BenchStep };

export const STEP_SOURCE = "stand-in (training/bench/stand-in-step.ts)";

export function createReferenceStep(cfg: ModelConfig, batchSize: number): BenchStep {
  return createStandInStep(cfg, batchSize, 1);
}
