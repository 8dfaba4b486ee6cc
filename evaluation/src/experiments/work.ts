// The resumable pieces of an experiment, each skipped when its result file exists:
//   train   <work>/runs/<key>/train/summary.json   (an interrupted run resumes from its checkpoint)
//   export  <work>/runs/<key>/artifact/manifest.json
//   reflm   <work>/reflm/<data>-<vocab hash>/reflm.json at its full step count
//   eval    <work>/runs/<key>/eval/<tag>/result.json
// Runs are keyed by their settings, so experiments that share a setting (Table 1's α = 0.01 and
// Table 2's DataNorm) share one trained model.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import type { NormKind, SamplerKind, Task } from "@ldtext/core";
import { readArtifact } from "@ldtext/core";
import { exportCheckpoint } from "@ldtext/export";
import { Trainer, type LogRecord, type LossConfigId, type TrainConfigInput } from "@ldtext/training";
import { trainRefLm, readRefLmJson } from "../reflm/index.ts";
import { evaluate, type EvalResult } from "../run/evaluate.ts";
import type { Scale } from "./scale.ts";

export interface RunSpec {
  task: Task;
  /** Trainer data name: rocstories | wikipedia | xsum. */
  data: string;
  /** The loss configuration (the trainer's --config), or the two-stage baseline. */
  config: LossConfigId | "two-stage";
  norm: NormKind;
  alpha: number;
  length: number;
  /** Training texts read (default: the scale's maxTrain). Fig. 1 sets it per corpus to keep their size ratio. */
  maxTrain?: number;
}

export interface Work {
  dir: string;
  scale: Scale;
  progress: boolean;
  log: (line: string) => void;
  /** Directory of the corpora (default: core's dataDir()). */
  dataDir?: string;
}

/** A run's folder name: its setting and training budget (so a changed --steps trains a new run). */
export function runKey(s: RunSpec, scale?: Pick<Scale, "steps" | "batch">): string {
  const c = s.config === "two-stage" ? "2stage" : `c${s.config}`;
  const budget = scale ? `-s${scale.steps}b${scale.batch}` : "";
  return `${s.task === "summarize" ? "sum-" : ""}${s.data}-${c}-${s.norm}-a${s.alpha}-L${s.length}${budget}${s.maxTrain !== undefined ? `-n${s.maxTrain}` : ""}`;
}

function runDir(w: Work, s: RunSpec): string {
  return join(w.dir, "runs", runKey(s, w.scale));
}

function trainInput(w: Work, s: RunSpec, out: string, extra: Partial<TrainConfigInput> = {}): TrainConfigInput {
  const sc = w.scale;
  return {
    task: s.task,
    data: s.data,
    preset: sc.preset,
    config: s.config === "two-stage" ? 3 : s.config,
    norm: s.norm,
    alpha: s.alpha,
    length: s.length,
    steps: sc.steps,
    batch: sc.batch,
    maxTrain: s.maxTrain ?? sc.maxTrain,
    valEvery: sc.valEvery,
    valExamples: sc.valExamples,
    ckptEvery: Math.max(sc.valEvery, Math.floor(sc.steps / 10)),
    out,
    progress: w.progress,
    seed: 0,
    ...extra,
  };
}

async function runTrainer(w: Work, input: TrainConfigInput): Promise<void> {
  const out = input.out;
  if (existsSync(join(out, "summary.json"))) {
    const s = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as { stopped?: string; steps?: number };
    if (s.stopped === "done" && s.steps === input.steps) return;
  }
  const resume = existsSync(join(out, "checkpoint", "checkpoint.json"));
  w.log(`[train] ${out}${resume ? " (resuming)" : ""}`);
  // A resumed run takes its options from its checkpoint (--init-from was its start, not this call's).
  const trainer = new Trainer(resume ? { ...input, resume: true, initFrom: undefined, initWeights: undefined } : input, (l) => (w.progress ? process.stderr.write(`${l}\n`) : undefined));
  const summary = await trainer.run();
  if (summary.stopped !== "done") throw new Error(`${out}: training stopped (${summary.stopped})`);
}

/** Trains (or finds) the run's model and returns its training folder (holding checkpoint/, log.jsonl). */
export async function ensureTrained(w: Work, s: RunSpec): Promise<string> {
  const dir = runDir(w, s);
  if (s.config !== "two-stage") {
    const out = join(dir, "train");
    await runTrainer(w, trainInput(w, s, out));
    return out;
  }
  const { stage1, stage2 } = twoStageInputs(w, s, dir);
  await runTrainer(w, stage1);
  // A stage 2 finished by the hand-written loop the trainer replaced (its summary.json has no
  // `stopped`) stays as it is: its checkpoint cannot be resumed, and its results are still valid.
  if (!finishedByOldLoop(stage2.out)) await runTrainer(w, stage2);
  return stage2.out;
}

/**
 * The two-stage baseline (the TEncDM / LD4LG recipe the preprint compares against) as two trainer
 * runs that split the joint runs' step budget. Stage 1: configuration 3's warm-up stretched over the
 * whole run (coupling 0: the decoder reads clean encodings, a plain autoencoder; Dif learns alongside
 * and is kept as the warm start of stage 2). Stage 2: Dif (and CondEnc, which only learns through
 * L_dif) on stage 1's frozen autoencoder, as the separately trained recipes do: from stage 1's EMA
 * weights (what an export of stage 1 ships), uniform t, warm-up min(500, 5 % of its steps) then cosine.
 */
function twoStageInputs(w: Work, s: RunSpec, dir = runDir(w, s)): { stage1: TrainConfigInput; stage2: TrainConfigInput } {
  const half = Math.max(1, Math.floor(w.scale.steps / 2));
  const rest = w.scale.steps - half;
  const stage1 = trainInput(w, s, join(dir, "stage1"), { steps: half, aeWarmupSteps: half, aeRampSteps: 0, decoderNoise: false, adaptiveT: false });
  const stage2 = trainInput(w, s, join(dir, "train"), {
    steps: rest, initFrom: stage1.out, initWeights: "ema", freezeAe: true, adaptiveT: false, warmupSteps: Math.min(500, Math.ceil(rest * 0.05)),
  });
  return { stage1, stage2 };
}

function finishedByOldLoop(out: string): boolean {
  const path = join(out, "summary.json");
  if (!existsSync(path)) return false;
  const s = JSON.parse(readFileSync(path, "utf8")) as { stopped?: string; from?: string };
  return s.stopped === undefined && typeof s.from === "string";
}

/** Exports the run's checkpoint (EMA weights) to an ONNX artifact once. */
export async function ensureArtifact(w: Work, s: RunSpec): Promise<string> {
  const train = await ensureTrained(w, s);
  const out = join(runDir(w, s), "artifact");
  if (existsSync(join(out, "manifest.json"))) return out;
  w.log(`[export] ${out}`);
  // The two-stage model was trained for both stages' steps; its stage-2 checkpoint counts only its own
  // (training seconds and FLOPs already add up across --init-from).
  const training = s.config === "two-stage" ? { steps: w.scale.steps } : {};
  await exportCheckpoint({ checkpoint: train, outDir: out, name: runKey(s, w.scale).toLowerCase().replace(/[^a-z0-9._-]/g, "-"), version: `${w.scale.name}-1`, replace: true, training });
  return out;
}

/** The validation records of a run's training log. */
export function validationLog(trainDir: string): { step: number; dif: number; ce: number; reconAcc: number }[] {
  const path = join(trainDir, "log.jsonl");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as LogRecord)
    .filter((r): r is Extract<LogRecord, { kind: "val" }> => r.kind === "val")
    .map((r) => ({ step: r.step, dif: r.dif, ce: r.ce, reconAcc: r.reconAcc }));
}

/** The reference LM of a corpus, with the vocabulary of `artifact` (trained once per corpus and vocabulary). */
export async function ensureRefLm(w: Work, data: string, artifact: string): Promise<string> {
  const m = await readArtifact(artifact);
  const vocabHash = createHash("sha256").update(JSON.stringify(m.vocabulary)).digest("hex").slice(0, 10);
  const lmData = data === "xsum" ? "xsum-summaries" : data;
  const out = join(w.dir, "reflm", `${lmData}-${vocabHash}`);
  const r = w.scale.reflm;
  if (existsSync(join(out, "reflm.json"))) {
    const meta = await readRefLmJson(out);
    if (meta.step >= r.steps) return out;
  }
  w.log(`[reflm] ${out}`);
  await trainRefLm({
    data: lmData, vocabFrom: artifact, out, steps: r.steps, batch: r.batch, maxLen: r.maxLen, dModel: r.dModel, heads: r.heads, layers: r.layers, ffn: r.ffn,
    maxTrain: r.maxTrain, progress: w.progress, valEvery: Math.max(1, Math.floor(r.steps / 10)), ckptEvery: Math.max(1, Math.floor(r.steps / 5)),
    ...(w.dataDir ? { dataDir: w.dataDir } : {}),
  });
  return out;
}

export interface EvalSpec {
  steps?: number;
  sampler?: SamplerKind;
  samples?: number;
  guidance?: number;
}

/** Evaluates the run's artifact (sampling through ONNX) once per setting. */
export async function ensureEval(w: Work, s: RunSpec, e: EvalSpec = {}): Promise<EvalResult> {
  const artifact = await ensureArtifact(w, s);
  return evalArtifact(w, artifact, s.data, join(runDir(w, s), "eval"), e);
}

export async function evalArtifact(w: Work, artifact: string, data: string, evalRoot: string, e: EvalSpec = {}): Promise<EvalResult> {
  const steps = e.steps ?? w.scale.evalSteps;
  const sampler = e.sampler ?? w.scale.sampler;
  const samples = e.samples ?? w.scale.samples;
  const guidance = e.guidance ?? 0;
  const out = join(evalRoot, `${sampler}-s${steps}-n${samples}${guidance > 0 ? `-g${guidance}` : ""}`);
  const resultPath = join(out, "result.json");
  if (existsSync(resultPath)) return JSON.parse(readFileSync(resultPath, "utf8")) as EvalResult;
  const reflm = await ensureRefLm(w, data, artifact);
  w.log(`[eval] ${out}`);
  return evaluate({
    artifact, data, samples, steps, sampler, seed: 0, guidance, reflm, out, split: "test", progress: w.progress,
    cacheDir: join(w.dir, "cache"), ...(w.dataDir ? { dataDir: w.dataDir } : {}),
  });
}
