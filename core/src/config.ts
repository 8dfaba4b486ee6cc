// The model config as data (nanoGPT style): zod schemas shared by training, export and the server.
// See docs/MODEL-SPEC.md for what each field shapes; the named sizes are presets.ts.
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
  /**
   * The autoregressive decoder ArDec (network `ard`, MODEL-SPEC "ArDec"): a causal transformer that
   * reads the latent at each position, cross-attends to all of them and its own previous tokens,
   * decoded greedily (LD4LG decodes its latents autoregressively). Absent = the model decodes with
   * the non-autoregressive Dec only (every model before it).
   */
  arDec: NetworkConfigSchema.optional(),
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

/** Latent rows `[L, d]` and condition width Dc (0 for unconditional models): what a sampler's buffers are sized by. */
export interface ModelShape {
  L: number;
  d: number;
  condDim: number;
}

export function modelShape(cfg: ModelConfig): ModelShape {
  return { L: cfg.maxLen, d: cfg.latentDim, condDim: cfg.task === "summarize" ? cfg.condEnc.dModel : 0 };
}

/** What a preset's model config may be given instead of the preset's values (not the task; presets.ts). */
export type ModelConfigOverrides = Partial<Omit<SummarizeModelConfig, "task">>;
