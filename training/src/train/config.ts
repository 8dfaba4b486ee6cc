// Training configuration (the CLI's options as data, validated with zod; saved in checkpoints).
import { z } from "zod";
import { NormKindSchema, PRESETS, PresetNameSchema, ScheduleNameSchema, TaskSchema } from "@ldtext/core";

export const BackendKindSchema = z.enum(["auto", "tensorflow-gpu", "tensorflow", "wasm", "cpu"]);

/** Which weights of an --init-from checkpoint a run starts from (init-source.ts initWeightSet). */
export const InitWeightsSchema = z.enum(["raw", "ema"]);
export type InitWeights = z.infer<typeof InitWeightsSchema>;

export const TrainConfigSchema = z
  .object({
    task: TaskSchema.default("generate"),
    /** rocstories | wikipedia | xsum | wiki-pairs | a path (see loadCorpus). */
    data: z.string().min(1).optional(),
    preset: PresetNameSchema.default("tiny"),
    /**
     * The loss configuration 1, 2 or 3 (objective.ts LossConfigId; `--config`, and `config` in a
     * checkpoint's train config, so the name stays). Default 3: trained from scratch at CPU scale,
     * configuration 2 collapses the encodings to a constant (measured on the tiny preset with data,
     * sphere and α = 0.99), configuration 1 learns slowly.
     */
    config: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(3),
    norm: NormKindSchema.default("data"),
    /** Defaults from the preset. */
    steps: z.number().int().positive().optional(),
    /**
     * The learning-rate horizon: warm-up then cosine decay reach their floor at this step. Fixed when
     * a run starts (saved in the checkpoint), so `--resume --steps M` extends a run without raising
     * the learning rate again; past it the rate stays at the floor. Default: --steps.
     */
    totalSteps: z.number().int().positive().optional(),
    /** Noise schedule (model config; default tan-d, d 9 as TEncDM). */
    schedule: ScheduleNameSchema.optional(),
    /** tan-d's d: smaller d puts more of uniform t at the SNRs where a sentence is decided. */
    scheduleD: z.number().positive().optional(),
    /** Dif time conditioning (ModelConfig.difTimeCond): "blocks" adds a per-block projection of it. */
    timeCond: z.enum(["input", "blocks"]).optional(),
    /** Vocabulary size (specials + 256 bytes + BPE tokens); default from the preset. */
    vocab: z.number().int().min(300).optional(),
    batch: z.number().int().positive().optional(),
    length: z.number().int().min(2).optional(),
    lr: z.number().positive().optional(),
    /** EMA rate α of DataNorm/BatchNorm statistics. */
    alpha: z.number().gt(0).lte(1).default(0.01),
    seed: z.number().int().min(0).default(0),
    out: z.string().min(1),
    backend: BackendKindSchema.default("auto"),
    valEvery: z.number().int().positive().default(200),
    /** Validation examples (evaluated in batches of `batch`). */
    valExamples: z.number().int().positive().default(256),
    ckptEvery: z.number().int().positive().default(500),
    resume: z.boolean().default(false),
    /** Fine-tuning: start from this checkpoint's weights, normalization and vocabulary. */
    initFrom: z.string().optional(),
    /**
     * Which weights of the --init-from checkpoint: "raw" (the default: the weights the optimizer was
     * updating, so a later stage continues the run) or "ema" (its EMA copy overlaid on them: what an
     * export of that checkpoint ships, e.g. to freeze a separately trained stage 1 as the two-stage
     * baseline does). An artifact holds one set of weights, the exporter's, which either takes.
     * Resolved to "raw" whenever --init-from is given, so the checkpoint records the choice.
     */
    initWeights: InitWeightsSchema.optional(),
    /**
     * Train only Dif (and CondEnc) on the --init-from checkpoint's autoencoder, Enc/Dec frozen: the
     * second stage of a run whose autoencoder already reconstructs. A step costs about a third of a
     * joint one (no decoder, no backward pass through Enc), so the denoiser gets ~3x the updates.
     */
    freezeAe: z.boolean().default(false),
    /**
     * Train only Dec on the --init-from checkpoint's frozen Enc, Dif and CondEnc: the decoder learns
     * to read what the denoiser predicts (CE of Dec(x̂0), the configuration-1 decoder term) and, on a
     * share of the rows, noised x0 at small t. The latent space does not move, so the denoiser stays
     * valid; this lifts a decoder that reconstructs poorly (a short joint stage) without retraining Dif.
     */
    decoderOnly: z.boolean().default(false),
    /**
     * With --freeze-ae: encode the training split once with the frozen encoder and keep the outputs
     * in memory (count × L × d floats: 1.1 GB for ROCStories at the small preset), so a step is
     * denoiser-only. Off: encode every batch (the result is the same up to float rounding).
     */
    cacheEncodings: z.boolean().default(true),
    /**
     * Summarization: where CondEnc's weights start. "encoder" copies the text encoder's trunk (CondEnc
     * gets Enc's shape), so cross-attention reads features that already mean something (cond-init.ts).
     */
    condFrom: z.enum(["fresh", "encoder"]).default("fresh"),
    /**
     * Summarization: CondEnc is not trained (only its learned null condition is), and with
     * --cache-encodings its outputs for the training documents are computed once, so a step runs
     * no CondEnc at all. Meant for --cond-from encoder on a frozen autoencoder.
     */
    freezeCond: z.boolean().default(false),
    warmupSteps: z.number().int().min(0).optional(),
    weightDecay: z.number().min(0).default(0.01),
    clipNorm: z.number().min(0).default(1),
    emaDecay: z.number().min(0).lt(1).default(0.999),
    selfCondProb: z.number().min(0).max(1).default(0.5),
    condDropout: z.number().min(0).max(1).default(0.1),
    tMin: z.number().min(0).lt(1).default(1e-5),
    /** Configuration 3 switches (default on with --config 3; only valid there). */
    decoderNoise: z.boolean().optional(),
    /** Decoder-input noise: t ~ U[0, decoderNoiseTMax]. */
    decoderNoiseTMax: z.number().gt(0).lte(1).default(0.15),
    /**
     * Share of a batch's rows that also go through the decoder as noised x0. The extra decoder
     * pass is the costliest part of configuration 3 (the V-wide head), so by default a quarter.
     */
    decoderNoiseRows: z.number().gt(0).lte(1).default(0.25),
    aeWarmup: z.boolean().optional(),
    /** AE warm-up: pure autoencoder steps, then steps over which the coupling ramps 0 → 1 (default 10 % of steps each). */
    aeWarmupSteps: z.number().int().min(0).optional(),
    aeRampSteps: z.number().int().min(0).optional(),
    adaptiveT: z.boolean().optional(),
    /** Cap on training examples read (the Wikipedia split is large). */
    maxTrain: z.number().int().positive().optional(),
    progress: z.boolean().default(true),
    /** Texts sampled (EMA weights, DDIM) at every validation; 0 = none. */
    samples: z.number().int().min(0).default(3),
    sampleSteps: z.number().int().positive().default(50),
  })
  .superRefine((c, ctx) => {
    if (c.config !== 3) {
      for (const k of ["decoderNoise", "aeWarmup", "adaptiveT"] as const) {
        if (c[k] === true && !(k === "decoderNoise" && c.decoderOnly)) ctx.addIssue({ code: "custom", path: [k], message: `${k} is a configuration-3 option (use --config 3)` });
      }
    }
    if (!c.resume && c.data === undefined) ctx.addIssue({ code: "custom", path: ["data"], message: "--data is required (unless --resume)" });
    if (c.freezeAe && !c.resume && c.initFrom === undefined) ctx.addIssue({ code: "custom", path: ["freezeAe"], message: "--freeze-ae trains Dif on an autoencoder that already reconstructs: pass --init-from <checkpoint>" });
    if (c.freezeAe) {
      for (const k of ["decoderNoise", "aeWarmup"] as const) {
        if (c[k] === true) ctx.addIssue({ code: "custom", path: [k], message: `${k} trains the autoencoder, which --freeze-ae freezes` });
      }
    }
    if (c.decoderOnly) {
      if (!c.resume && c.initFrom === undefined) ctx.addIssue({ code: "custom", path: ["decoderOnly"], message: "--decoder-only trains the decoder of a trained model: pass --init-from <checkpoint>" });
      if (c.freezeAe) ctx.addIssue({ code: "custom", path: ["freezeAe"], message: "--decoder-only trains Dec, which --freeze-ae freezes: pass one of them" });
      if (c.aeWarmup === true) ctx.addIssue({ code: "custom", path: ["aeWarmup"], message: "aeWarmup trains the encoder, which --decoder-only freezes" });
    }
    if (c.task !== "summarize") {
      if (c.condFrom !== "fresh") ctx.addIssue({ code: "custom", path: ["condFrom"], message: "--cond-from is a summarization option (--task summarize)" });
      if (c.freezeCond) ctx.addIssue({ code: "custom", path: ["freezeCond"], message: "--freeze-cond is a summarization option (--task summarize)" });
    }
    if (c.initWeights !== undefined && !c.resume && c.initFrom === undefined) ctx.addIssue({ code: "custom", path: ["initWeights"], message: "--init-weights chooses among the --init-from checkpoint's weights: pass --init-from <checkpoint>" });
    if (c.resume && c.initFrom) ctx.addIssue({ code: "custom", path: ["initFrom"], message: "--resume and --init-from exclude each other" });
  });
export type TrainConfigInput = z.input<typeof TrainConfigSchema>;
export type TrainConfig = z.output<typeof TrainConfigSchema>;

/** Every option with preset defaults filled in. */
export interface ResolvedTrainConfig extends TrainConfig {
  steps: number;
  totalSteps: number;
  batch: number;
  length: number;
  lr: number;
  warmupSteps: number;
  decoderNoise: boolean;
  aeWarmup: boolean;
  adaptiveT: boolean;
  aeWarmupSteps: number;
  aeRampSteps: number;
}

export function resolveTrainConfig(input: TrainConfigInput): ResolvedTrainConfig {
  const c = TrainConfigSchema.parse(input);
  const p = PRESETS[c.preset];
  const steps = c.steps ?? p.steps;
  const three = c.config === 3;
  return {
    ...c,
    steps,
    totalSteps: c.totalSteps ?? steps,
    batch: c.batch ?? p.batchSize,
    length: c.length ?? p.maxLen,
    lr: c.lr ?? p.lr,
    warmupSteps: c.warmupSteps ?? Math.min(500, Math.ceil(steps * 0.05)),
    ...(c.initFrom !== undefined ? { initWeights: c.initWeights ?? "raw" } : {}),
    decoderNoise: (three || c.decoderOnly) && !c.freezeAe && (c.decoderNoise ?? true),
    aeWarmup: three && !c.freezeAe && !c.decoderOnly && (c.aeWarmup ?? true),
    adaptiveT: three && (c.adaptiveT ?? true),
    aeWarmupSteps: c.aeWarmupSteps ?? Math.round(steps * 0.1),
    aeRampSteps: c.aeRampSteps ?? Math.round(steps * 0.1),
  };
}

/** Diffusion→encoder coupling λ at 1-based `step` (configuration 3 warm-up; 1 otherwise). */
export function couplingAt(c: ResolvedTrainConfig, step: number): number {
  if (!c.aeWarmup) return 1;
  if (step <= c.aeWarmupSteps) return 0;
  if (c.aeRampSteps === 0) return 1;
  return Math.min(1, (step - c.aeWarmupSteps) / c.aeRampSteps);
}
