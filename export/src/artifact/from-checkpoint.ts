// Checkpoint → artifact: loads a training checkpoint through @ldtext/training's `loadCheckpoint`, takes
// the EMA weights when the checkpoint has them, and writes the artifact.
import type { ModelConfig, Vocabulary } from "@ldtext/core";
import { ModelConfigSchema, VocabularySchema } from "@ldtext/core";
import type { WeightTensor } from "../onnx/blocks.ts";
import type { GraphName, NormState } from "../networks/graphs.ts";
import { writeArtifact } from "./write.ts";
import type { WrittenArtifact } from "./write.ts";

/** What `loadCheckpoint(dir)` of @ldtext/training returns (the fields export reads). */
export interface LoadedCheckpoint {
  modelConfig: ModelConfig;
  vocabulary: Vocabulary;
  trainConfig?: unknown;
  step: number;
  weights: ReadonlyMap<string, WeightTensor>;
  ema?: ReadonlyMap<string, WeightTensor>;
  norm: NormState;
}

export async function loadTrainingCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const training = (await import("@ldtext/training")) as Record<string, unknown>;
  const load = training.loadCheckpoint;
  if (typeof load !== "function") throw new Error("@ldtext/training does not export loadCheckpoint yet");
  const ckpt = (await (load as (d: string) => Promise<LoadedCheckpoint> | LoadedCheckpoint)(dir)) as LoadedCheckpoint;
  return { ...ckpt, modelConfig: ModelConfigSchema.parse(ckpt.modelConfig), vocabulary: VocabularySchema.parse(ckpt.vocabulary) };
}

/** The weights to export: the EMA copy overlaid on the raw weights (EMA may hold only trainables). */
export function exportWeights(ckpt: LoadedCheckpoint, useEma = true): { weights: Map<string, WeightTensor>; source: "ema" | "raw" } {
  const weights = new Map(ckpt.weights);
  if (!useEma || !ckpt.ema || ckpt.ema.size === 0) return { weights, source: "raw" };
  for (const [k, v] of ckpt.ema) weights.set(k, v);
  return { weights, source: "ema" };
}

export interface ExportOptions {
  checkpoint: string;
  outDir: string;
  name?: string;
  version?: string;
  graphs?: readonly GraphName[];
  quantize?: "int8";
  fp16?: boolean;
  useEma?: boolean;
  /** Extra provenance for the manifest (command line, timings, samples). */
  training?: Record<string, unknown>;
}

export async function exportCheckpoint(o: ExportOptions): Promise<WrittenArtifact & { weightSource: "ema" | "raw"; weights: Map<string, WeightTensor> }> {
  const ckpt = await loadTrainingCheckpoint(o.checkpoint);
  const { weights, source } = exportWeights(ckpt, o.useEma ?? true);
  const written = writeArtifact({
    config: ckpt.modelConfig,
    weights,
    vocabulary: ckpt.vocabulary,
    norm: ckpt.norm,
    outDir: o.outDir,
    name: o.name,
    version: o.version,
    graphs: o.graphs,
    quantize: o.quantize,
    fp16: o.fp16,
    training: { step: ckpt.step, weights: source, ...(ckpt.trainConfig !== undefined ? { trainConfig: ckpt.trainConfig } : {}), ...o.training },
  });
  return { ...written, weightSource: source, weights };
}
