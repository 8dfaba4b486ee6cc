// The named model sizes (tiny, mini, small, base) with the training defaults that go with them, and
// the model config a preset gives for a task.
import { z } from "zod";
import { type GenerateModelConfig, type ModelConfig, type ModelConfigOverrides, ModelConfigSchema, type NetworkConfig, type SummarizeModelConfig, type Task } from "./config.ts";

export const PresetNameSchema = z.enum(["tiny", "mini", "small", "base"]);
export type PresetName = z.infer<typeof PresetNameSchema>;

export interface Preset {
  /** Vocabulary: number of BPE tokens kept beside the 256 bytes and 3 specials. */
  topK: number;
  maxLen: number;
  condMaxLen: number;
  latentDim: number;
  net: NetworkConfig;
  dif: NetworkConfig;
  condEnc: NetworkConfig;
  batchSize: number;
  lr: number;
  steps: number;
}

/**
 * tiny: CI (a training step well under a second); mini: the CPU-scale experiments of the evaluation
 * package (a few minutes per run on 2 cores, so that a whole table fits in an hour); small: the
 * shipped models on 2 CPU cores; base: the preprint's ~100 M-parameter denoiser, for GPUs.
 */
export const PRESETS: Record<PresetName, Preset> = {
  tiny: {
    topK: 253, maxLen: 16, condMaxLen: 32, latentDim: 16,
    net: { dModel: 32, heads: 2, layers: 1, ffn: 64 },
    dif: { dModel: 32, heads: 2, layers: 2, ffn: 64 },
    condEnc: { dModel: 32, heads: 2, layers: 1, ffn: 64 },
    batchSize: 8, lr: 1e-3, steps: 200,
  },
  mini: {
    topK: 4096 - 259, maxLen: 32, condMaxLen: 64, latentDim: 32,
    net: { dModel: 128, heads: 4, layers: 2, ffn: 384 },
    dif: { dModel: 128, heads: 4, layers: 3, ffn: 384 },
    condEnc: { dModel: 128, heads: 4, layers: 2, ffn: 384 },
    batchSize: 32, lr: 1e-3, steps: 1000,
  },
  small: {
    topK: 8192 - 259, maxLen: 64, condMaxLen: 128, latentDim: 64,
    net: { dModel: 256, heads: 4, layers: 4, ffn: 768 },
    dif: { dModel: 256, heads: 4, layers: 4, ffn: 768 },
    condEnc: { dModel: 256, heads: 4, layers: 3, ffn: 768 },
    batchSize: 32, lr: 5e-4, steps: 8000,
  },
  base: {
    topK: 32768 - 259, maxLen: 128, condMaxLen: 512, latentDim: 768,
    net: { dModel: 768, heads: 12, layers: 6, ffn: 2048 },
    dif: { dModel: 768, heads: 12, layers: 12, ffn: 2048 },
    condEnc: { dModel: 768, heads: 12, layers: 6, ffn: 2048 },
    batchSize: 256, lr: 2e-4, steps: 200000,
  },
};

/**
 * The model config a preset gives for a task and a vocabulary size (known after the tokenizer is
 * built). A generate config drops the condition-encoder overrides (it has no condition encoder).
 */
export function modelConfigFromPreset(preset: PresetName, task: "summarize", vocabSize: number, overrides?: ModelConfigOverrides): SummarizeModelConfig;
export function modelConfigFromPreset(preset: PresetName, task: "generate", vocabSize: number, overrides?: ModelConfigOverrides): GenerateModelConfig;
export function modelConfigFromPreset(preset: PresetName, task: Task, vocabSize: number, overrides?: ModelConfigOverrides): ModelConfig;
export function modelConfigFromPreset(preset: PresetName, task: Task, vocabSize: number, overrides: ModelConfigOverrides = {}): ModelConfig {
  const p = PRESETS[preset];
  return ModelConfigSchema.parse({
    task,
    vocabSize,
    maxLen: p.maxLen,
    latentDim: p.latentDim,
    enc: p.net,
    dec: p.net,
    dif: p.dif,
    ...(task === "summarize" ? { condEnc: p.condEnc, condMaxLen: p.condMaxLen } : {}),
    norm: "data",
    normAlpha: 0.01,
    schedule: { name: "tan-d", d: 9 },
    ...overrides,
  });
}
