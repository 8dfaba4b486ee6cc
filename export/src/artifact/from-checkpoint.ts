// Checkpoint → artifact: reads a training checkpoint with core's `loadCheckpoint` (the format is
// core's, so export needs no TF.js for it), takes the EMA weights when the checkpoint has them, and
// writes the artifact.
import { type LoadedCheckpoint, type TrainingRecord, type WeightTensor, VocabularySchema, loadCheckpoint } from "@ldtext/core";
import { writeArtifact } from "./write.ts";
import type { ArtifactOutputOptions, WrittenArtifact } from "./write.ts";

/** A checkpoint as export reads it: core's loadCheckpoint, with the vocabulary validated before it goes into a manifest. */
export async function loadTrainingCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const ckpt = await loadCheckpoint(dir);
  return { ...ckpt, vocabulary: VocabularySchema.parse(ckpt.vocabulary) };
}

/** The weights to export: the EMA copy overlaid on the raw weights (EMA may hold only trainables). */
export function exportWeights(ckpt: Pick<LoadedCheckpoint, "weights" | "ema">, useEma = true): { weights: Map<string, WeightTensor>; source: "ema" | "raw" } {
  const weights = new Map(ckpt.weights);
  if (!useEma || !ckpt.ema || ckpt.ema.size === 0) return { weights, source: "raw" };
  for (const [k, v] of ckpt.ema) weights.set(k, v);
  return { weights, source: "ema" };
}

function firstNumber(...xs: unknown[]): number | undefined {
  return xs.find((x): x is number => typeof x === "number" && Number.isFinite(x));
}

/** Fields of the trainer's loss records that are not losses/metrics. */
const NOT_LOSSES = new Set(["kind", "step", "lr", "coupling", "selfCond", "tokensPerSec", "elapsedSec", "trainSec", "trainFlops"]);

const kebab = (k: string): string => (k === "decoderNoiseTMax" ? "decoder-noise-tmax" : k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));

/** `npm run train -- …` rebuilt from the checkpoint's resolved train config (every option explicit). */
export function trainCommand(tc: Record<string, unknown>): string {
  const args: string[] = [];
  for (const [k, v] of Object.entries(tc)) {
    if (k === "resume" || k === "progress" || v === undefined || v === null) continue;
    if (k === "initFrom") args.push(`--init-from ${String(v)}`);
    else if (typeof v === "boolean") args.push(v ? `--${kebab(k)}` : `--no-${kebab(k)}`);
    else if (typeof v === "number" || typeof v === "string") args.push(`--${kebab(k)} ${v}`);
  }
  return `npm run train -- ${args.join(" ")}`;
}

/**
 * The manifest's training record from what the checkpoint holds: the last train/val losses (flattened
 * as "train.dif", "val.ce", …), the trainer's elapsed seconds, and the train command rebuilt from the
 * resolved train config; overrides win.
 */
export function trainingRecord(ckpt: Pick<LoadedCheckpoint, "step" | "trainConfig" | "losses">, overrides: Partial<TrainingRecord> = {}): TrainingRecord {
  const finalLosses: Record<string, number> = {};
  let seconds: number | undefined;
  let trainSec: number | undefined;
  let flops: number | undefined;
  for (const [k, v] of Object.entries(ckpt.losses ?? {})) {
    if (typeof v === "number" && Number.isFinite(v)) finalLosses[k] = v;
    else if (v && typeof v === "object" && !Array.isArray(v)) {
      for (const [f, x] of Object.entries(v as Record<string, unknown>)) {
        if (f === "elapsedSec" && typeof x === "number") seconds = x;
        // Cumulative over resumes and --init-from stages (the trainer's trainSec), when recorded.
        if (f === "trainSec" && typeof x === "number") trainSec = x;
        if (f === "trainFlops" && typeof x === "number") flops = x;
        if (!NOT_LOSSES.has(f) && !f.startsWith("gradNorm") && typeof x === "number" && Number.isFinite(x)) finalLosses[`${k}.${f}`] = x;
      }
    }
  }
  // A train config with a `command` (two-stage stage 2, an artifact read as a checkpoint) says how it was made.
  const cmd = typeof ckpt.trainConfig?.command === "string" ? ckpt.trainConfig.command : undefined;
  return {
    command: overrides.command ?? cmd ?? trainCommand(ckpt.trainConfig ?? {}),
    seconds: overrides.seconds ?? firstNumber(trainSec, seconds) ?? 0,
    steps: overrides.steps ?? ckpt.step,
    ...(overrides.flops !== undefined || flops !== undefined ? { flops: overrides.flops ?? flops } : {}),
    finalLosses: overrides.finalLosses ?? finalLosses,
  };
}

export interface ExportOptions extends ArtifactOutputOptions {
  checkpoint: string;
  useEma?: boolean;
  /** Overrides of the training record read from the checkpoint. */
  training?: Partial<TrainingRecord>;
  evaluation?: Record<string, number | string>;
  samples?: string[];
}

export async function exportCheckpoint(o: ExportOptions): Promise<WrittenArtifact & { weightSource: "ema" | "raw"; weights: Map<string, WeightTensor> }> {
  const ckpt = await loadTrainingCheckpoint(o.checkpoint);
  const { weights, source } = exportWeights(ckpt, o.useEma ?? true);
  const written = await writeArtifact({
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
    replace: o.replace,
    training: trainingRecord(ckpt, o.training),
    evaluation: o.evaluation,
    samples: o.samples,
    ...(o.sampling ? { sampling: o.sampling } : {}),
  });
  return { ...written, weightSource: source, weights };
}
