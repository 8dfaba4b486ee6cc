// Model and training configuration as data (nanoGPT style): zod schemas shared by training, export
// and the server, plus the named presets. See docs/MODEL-SPEC.md for what each field shapes.
import { z } from "zod";

export const NetworkConfigSchema = z.object({
  dModel: z.number().int().positive(),
  heads: z.number().int().positive(),
  layers: z.number().int().nonnegative(),
  ffn: z.number().int().positive(),
});
export type NetworkConfig = z.infer<typeof NetworkConfigSchema>;

export const TaskSchema = z.enum(["generate", "summarize"]);
export type Task = z.infer<typeof TaskSchema>;

export const NormKindSchema = z.enum(["data", "sphere", "layer", "batch"]);
export type NormKind = z.infer<typeof NormKindSchema>;

export const ScheduleNameSchema = z.enum(["tan-d", "cosine", "sqrt"]);
export type ScheduleName = z.infer<typeof ScheduleNameSchema>;

export const ScheduleConfigSchema = z.object({
  name: ScheduleNameSchema,
  /** tan-d's d (ignored by the other schedules). */
  d: z.number().positive().default(9),
});
export type ScheduleConfig = z.infer<typeof ScheduleConfigSchema>;

/**
 * Document length S for a summarize config that leaves `condMaxLen` out (manifests and checkpoints
 * written before it was recorded): the schema fills it in on reading, so every parsed summarize
 * config carries its S and no reader needs a fallback of its own.
 */
export const DEFAULT_COND_MAX_LEN = 128;

// Field order = the order of the written JSON (manifests, checkpoints): keep it.
const modelFields = {
  vocabSize: z.number().int().positive(),
  /** Text length L (tokens, EOS and PAD included). */
  maxLen: z.number().int().positive(),
  /** Latent dimension d of the encodings the diffusion model works on. */
  latentDim: z.number().int().positive(),
  enc: NetworkConfigSchema,
  dec: NetworkConfigSchema,
  dif: NetworkConfigSchema,
};
const trailingFields = {
  norm: NormKindSchema,
  /** EMA rate α of DataNorm / BatchNorm running statistics. */
  normAlpha: z.number().gt(0).lte(1),
  schedule: ScheduleConfigSchema,
  /**
   * Where Dif reads the time embedding: "input" (added once to the input projection, the preprint's
   * design) or "blocks" (also a per-block projection of it added before every Dif block, as TEncDM
   * and DiT-style conditioning do; the projections start at zero, so a "blocks" denoiser initialized
   * from an "input" one computes the same function at step 0). Absent = "input".
   */
  difTimeCond: z.enum(["input", "blocks"]).optional(),
};

export const GenerateModelConfigSchema = z.object({ task: z.literal("generate"), ...modelFields, ...trailingFields });
/** `condEnc` / `condMaxLen` are never present; declared so that reading them on an un-narrowed ModelConfig type-checks (as `… | undefined`). */
export type GenerateModelConfig = z.infer<typeof GenerateModelConfigSchema> & { condEnc?: undefined; condMaxLen?: undefined };

export const SummarizeModelConfigSchema = z.object({
  task: z.literal("summarize"),
  ...modelFields,
  /** Condition encoder CondEnc (Dc = condEnc.dModel). */
  condEnc: NetworkConfigSchema,
  /** Document length S for the condition encoder (DEFAULT_COND_MAX_LEN when an old file lacks it). */
  condMaxLen: z.number().int().positive().default(DEFAULT_COND_MAX_LEN),
  ...trailingFields,
});
export type SummarizeModelConfig = z.infer<typeof SummarizeModelConfigSchema>;

/**
 * The networks' configuration, by task: only a summarizer has a condition encoder and a document
 * length, and it always has both (narrow on `task` to read them as required fields).
 */
export const ModelConfigSchema = z.discriminatedUnion("task", [GenerateModelConfigSchema, SummarizeModelConfigSchema]);
export type ModelConfig = GenerateModelConfig | SummarizeModelConfig;

/** Document length S of a model: a summarizer's `condMaxLen`; 0 for a generate model, which reads no document. */
export function condMaxLenOf(cfg: ModelConfig): number {
  return cfg.task === "summarize" ? cfg.condMaxLen : 0;
}

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

/** What a preset's model config may be given instead of the preset's values (not the task). */
export type ModelConfigOverrides = Partial<Omit<SummarizeModelConfig, "task">>;

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
