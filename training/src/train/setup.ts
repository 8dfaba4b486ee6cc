// Everything a training run needs before its first step, in one typed value: the options (on
// resume, the checkpoint's), the tokenizer and tokenized splits, the model and optimizer (fresh,
// resumed, or initialized from another run), the random streams and samplers, and the log.
// trainer.ts then only runs the loop.
import * as tf from "@tensorflow/tfjs";
import { mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CompactTokenizer, PRESETS, type FloatWeights, type LoadedCheckpoint, type ModelConfig, SeededRandom, loadCheckpoint, modelConfigFromPreset, ModelConfigSchema } from "@ldtext/core";
import { initBackend, type BackendInfo } from "../backend/index.ts";
import { LatentDiffusionModel, initWeights } from "../model/model.ts";
import { type InitWeights, type ResolvedTrainConfig, type TrainConfigInput, resolveTrainConfig } from "./config.ts";
import { initWeightSet, loadInitSource, priorTrainFlops, priorTrainSeconds } from "./init-source.ts";
import { condConfigFromEncoder, copyEncoderIntoCondition } from "./cond-init.ts";
import { BatchSampler, type TokenizedSplit, loadCorpus, tokenizeSplit } from "./data.ts";
import { JointObjective } from "./objective.ts";
import { AdamW, DEFAULT_OPTIMIZER } from "./optimizer.ts";
import { TimestepSampler } from "./timesteps.ts";
import { backendChangeNote, readTrainerState } from "./resume-state.ts";
import { RunLog } from "./log.ts";
import { stepFlops } from "./flops.ts";

/** Options a resumed run may change; everything else comes from the checkpoint. */
const RUN_CONTROL = ["steps", "backend", "valEvery", "valExamples", "ckptEvery", "progress"] as const;

export type ParameterCounts = Record<"enc" | "dec" | "dif" | "cond" | "total", number>;

export interface TrainingSetup {
  /** The options in force: on resume the checkpoint's, with the run-control ones given now. */
  cfg: ResolvedTrainConfig;
  backend: BackendInfo;
  /** The checkpoint this run continues, if any (then `initFrom` is null). */
  resumeFrom: LoadedCheckpoint | null;
  /** The run whose weights this one starts from (--init-from), if any. */
  initFrom: LoadedCheckpoint | null;
  modelConfig: ModelConfig;
  tokenizer: CompactTokenizer;
  trainSplit: TokenizedSplit;
  valSplit: TokenizedSplit;
  model: LatentDiffusionModel;
  optimizer: AdamW;
  objective: JointObjective;
  parameters: ParameterCounts;
  /** Weights whose EMA is updated each step (frozen networks' EMA equals their weights). */
  emaNames: string[];
  rng: SeededRandom;
  sampler: BatchSampler;
  timesteps: TimestepSampler;
  /** The last step done (0 for a fresh run). */
  startStep: number;
  log: RunLog;
  /** Training seconds and FLOPs behind the model before this run (resumed runs and --init-from stages). */
  priorSec: number;
  priorFlops: number;
  flopsPerStep: number;
  tokensPerStep: number;
}

/** Resolve the options, load data and weights, restore or seed the trainer state, and open the log. */
export async function prepareTraining(input: TrainConfigInput, resolved: ResolvedTrainConfig, print: (line: string) => void): Promise<TrainingSetup> {
  const out = resolved.out;
  await mkdir(out, { recursive: true });
  const backend = await initBackend(resolved.backend, { log: print });
  const { cfg, resumeFrom, initFrom } = await resolveRun(input, resolved, print);
  // Resume is exact (bit for bit) on the backend the checkpoint was written on, which it records.
  const backendNote = resumeFrom ? backendChangeNote(resumeFrom, backend.backend) : null;
  if (backendNote) print(backendNote);
  const { tokenizer, modelConfig, trainSplit, valSplit } = await prepareData(cfg, resumeFrom, initFrom, print);
  const { model, optimizer, parameters } = buildModel(cfg, modelConfig, resumeFrom, initFrom, print);
  cacheFrozenEncodings(cfg, model, trainSplit, print);

  // Trainer state: the random streams, data order and timestep bins, fresh or from the checkpoint.
  const state = resumeFrom ? readTrainerState(resumeFrom) : null;
  const rng = state ? SeededRandom.fromState(state.rng) : new SeededRandom(cfg.seed);
  const sampler = new BatchSampler(trainSplit, cfg.batch, cfg.seed, state ? state.data : { epoch: 0, index: 0 });
  const timesteps = new TimestepSampler(cfg.tMin, cfg.adaptiveT);
  if (state) timesteps.load(state.timesteps);
  const objective = new JointObjective(model, { trainCondEncoder: !cfg.freezeCond, trainEncoder: !cfg.decoderOnly });
  const startStep = resumeFrom?.step ?? 0;
  // --freeze-ae: Enc/Dec never change, so only Dif's (and CondEnc's) EMA needs updating each step;
  // --decoder-only: only Dec's.
  const emaNames = (cfg.decoderOnly ? model.namesOf("dec") : cfg.freezeAe ? model.namesOf("dif", "cond") : model.names).filter((n) => !cfg.freezeCond || !n.startsWith("cond.") || n === "cond.null");

  const log = await RunLog.open(join(out, "log.jsonl"), startStep, resumeFrom !== null);
  const tokensPerStep = cfg.batch * modelConfig.maxLen;
  // Hours of training behind this model, across resumes and --init-from stages (plots against compute).
  const priorSec = resumeFrom ? (log.lastTrain?.trainSec ?? log.lastTrain?.elapsedSec ?? 0) : (initFrom ? priorTrainSeconds(initFrom) : 0);
  const priorFlops = resumeFrom ? (log.lastTrain?.trainFlops ?? 0) : (initFrom ? priorTrainFlops(initFrom) : 0);
  const flopsPerStep = stepFlops({
    params: { enc: parameters.enc, dec: parameters.dec, dif: parameters.dif, cond: parameters.cond },
    tokens: tokensPerStep, selfCondProb: cfg.selfCondProb, freezeAe: cfg.freezeAe, decoderOnly: cfg.decoderOnly,
    cachedEncodings: trainSplit.encodings !== undefined, decoderNoiseRows: cfg.decoderNoise ? cfg.decoderNoiseRows : 0,
  });
  return {
    cfg, backend, resumeFrom, initFrom, modelConfig, tokenizer, trainSplit, valSplit, model, optimizer, objective, parameters,
    emaNames, rng, sampler, timesteps, startStep, log, priorSec, priorFlops, flopsPerStep, tokensPerStep,
  };
}

/** Resume: the checkpoint's options win, except the run-control ones given explicitly now. */
async function resolveRun(input: TrainConfigInput, resolved: ResolvedTrainConfig, print: (line: string) => void) {
  const out = resolved.out;
  let resumeFrom: LoadedCheckpoint | null = null;
  let cfg = resolved;
  if (cfg.resume) {
    resumeFrom = await loadCheckpoint(join(out, "checkpoint"));
    const overrides: Partial<TrainConfigInput> = {};
    for (const k of RUN_CONTROL) if (input[k] !== undefined) Object.assign(overrides, { [k]: input[k] });
    cfg = resolveTrainConfig({ ...(resumeFrom.trainConfig as TrainConfigInput), ...overrides, out, resume: true, initFrom: undefined });
    print(`[resume] ${resumeFrom.dir} at step ${resumeFrom.step} of ${cfg.steps}`);
  }
  if (!resumeFrom && existsSync(join(out, "checkpoint"))) {
    throw new Error(`${out} already holds a run (checkpoint/): pass --resume to continue it, or choose another --out`);
  }
  const initFrom = cfg.initFrom && !resumeFrom ? await loadInitSource(cfg.initFrom) : null;
  return { cfg, resumeFrom, initFrom };
}

/** The corpus, the tokenizer (saved, or built on the training texts), the model config and the tokenized splits. */
async function prepareData(cfg: ResolvedTrainConfig, resumeFrom: LoadedCheckpoint | null, initFrom: LoadedCheckpoint | null, print: (line: string) => void) {
  if (cfg.data === undefined) throw new Error("--data is required");
  const corpus = await loadCorpus(cfg.task, cfg.data, cfg.maxTrain !== undefined ? { maxTrain: cfg.maxTrain } : {});
  print(`[data] ${corpus.source}: ${corpus.train.length} train, ${corpus.validation.length} validation examples`);
  const savedVocab = resumeFrom?.vocabulary ?? initFrom?.vocabulary;
  const preset = PRESETS[cfg.preset];
  const tokenizer = savedVocab
    ? CompactTokenizer.fromJSON(savedVocab)
    : CompactTokenizer.build(
        corpus.train.flatMap((e) => (e.document !== undefined ? [e.text, e.document] : [e.text])),
        { topK: cfg.vocab !== undefined ? cfg.vocab - 259 : preset.topK },
      );
  const modelConfig = chooseModelConfig(cfg, resumeFrom, initFrom, tokenizer.vocabSize);
  const condLen = modelConfig.condMaxLen;
  const trainSplit = tokenizeSplit(tokenizer, corpus.train, modelConfig.maxLen, condLen);
  const valSplit = tokenizeSplit(tokenizer, corpus.validation.slice(0, cfg.valExamples), modelConfig.maxLen, condLen);
  tokenizer.free();
  print(`[tokens] V = ${modelConfig.vocabSize}, L = ${modelConfig.maxLen}; ${(100 * trainSplit.fractionTruncated).toFixed(1)} % of training texts truncated`);
  return { tokenizer, modelConfig, trainSplit, valSplit };
}

/**
 * The checkpoint's config on resume. --init-from of the same task continues the same networks (its
 * config, not the preset's; the schedule may change between stages); a different task (a generate
 * checkpoint under a summarizer) starts from the preset and takes the weights that fit.
 */
function chooseModelConfig(cfg: ResolvedTrainConfig, resumeFrom: LoadedCheckpoint | null, initFrom: LoadedCheckpoint | null, vocabSize: number): ModelConfig {
  const scheduleOverride = {
    ...(cfg.schedule !== undefined || cfg.scheduleD !== undefined
      ? { schedule: { name: cfg.schedule ?? initFrom?.modelConfig.schedule.name ?? "tan-d", d: cfg.scheduleD ?? initFrom?.modelConfig.schedule.d ?? 9 } }
      : {}),
    ...(cfg.timeCond !== undefined ? { difTimeCond: cfg.timeCond } : {}),
  };
  const modelConfig: ModelConfig = resumeFrom
    ? resumeFrom.modelConfig
    : initFrom && initFrom.modelConfig.task === cfg.task
      ? ModelConfigSchema.parse({ ...initFrom.modelConfig, ...scheduleOverride })
      : modelConfigFromPreset(cfg.preset, cfg.task, vocabSize, { maxLen: cfg.length, norm: cfg.norm, normAlpha: cfg.alpha, ...scheduleOverride });
  const sameTaskInit = initFrom !== null && initFrom.modelConfig.task === cfg.task;
  // (--cond-from is a summarization option: TrainConfigSchema refuses it with --task generate.)
  if (copiesCondFromEncoder(cfg, resumeFrom) && !sameTaskInit && modelConfig.task === "summarize") Object.assign(modelConfig, condConfigFromEncoder(modelConfig));
  return modelConfig;
}

/** --cond-from encoder on a run that does not resume: CondEnc starts as the text encoder's trunk. */
function copiesCondFromEncoder(cfg: ResolvedTrainConfig, resumeFrom: LoadedCheckpoint | null): boolean {
  return cfg.condFrom === "encoder" && !resumeFrom;
}

/** The weights (resumed, fresh, or merged from --init-from), normalization statistics and optimizer state. */
function buildModel(cfg: ResolvedTrainConfig, modelConfig: ModelConfig, resumeFrom: LoadedCheckpoint | null, initFrom: LoadedCheckpoint | null, print: (line: string) => void) {
  let weights = resumeFrom?.weights ?? initWeights(modelConfig, cfg.seed);
  if (initFrom) weights = mergeInit(weights, initFrom, cfg.initWeights ?? "raw", print);
  if (copiesCondFromEncoder(cfg, resumeFrom)) {
    const r = copyEncoderIntoCondition(weights, modelConfig);
    weights = r.weights;
    print(`[cond-from] CondEnc starts as the text encoder's trunk (${r.copied} weights copied)`);
  }
  const model = new LatentDiffusionModel(modelConfig, weights);
  if (resumeFrom) model.norm.load(resumeFrom.norm);
  else if (initFrom && initFrom.modelConfig.norm === modelConfig.norm) model.norm.load(initFrom.norm);
  // --decoder-only: the latents must stay the ones the frozen denoiser was trained on, statistics included.
  if (cfg.decoderOnly) model.norm.frozen = true;
  const optimizer = new AdamW(model, { ...DEFAULT_OPTIMIZER, lr: cfg.lr, totalSteps: cfg.totalSteps, warmupSteps: cfg.warmupSteps, weightDecay: cfg.weightDecay, clipNorm: cfg.clipNorm, emaDecay: cfg.emaDecay });
  if (resumeFrom) {
    if (!resumeFrom.adamM || !resumeFrom.adamV) throw new Error(`${resumeFrom.dir}: no optimizer state to resume from`);
    optimizer.load({ m: resumeFrom.adamM, v: resumeFrom.adamV, ...(resumeFrom.ema ? { ema: resumeFrom.ema } : {}) });
  }
  const parameters: ParameterCounts = { enc: model.parameterCount("enc"), dec: model.parameterCount("dec"), dif: model.parameterCount("dif"), cond: model.parameterCount("cond"), total: model.parameterCount() };
  print(`[model] preset ${cfg.preset}, task ${cfg.task}, config ${cfg.config}, norm ${cfg.norm}${cfg.freezeAe ? ", Enc/Dec frozen (Dif-only steps)" : cfg.decoderOnly ? ", Enc/Dif/CondEnc frozen (Dec-only steps)" : ""}; parameters ${JSON.stringify(parameters)}`);
  return { model, optimizer, parameters };
}

/** --cache-encodings: frozen encoders run once over the training split instead of every step. */
function cacheFrozenEncodings(cfg: ResolvedTrainConfig, model: LatentDiffusionModel, trainSplit: TokenizedSplit, print: (line: string) => void): void {
  const timed = <T extends { data: Float32Array }>(what: string, after: string, encode: () => T): T => {
    const t = Date.now();
    const r = encode();
    print(`[cache] ${trainSplit.count} ${what} (${(r.data.byteLength / 2 ** 30).toFixed(2)} GiB, ${((Date.now() - t) / 1000).toFixed(0)} s)${after}`);
    return r;
  };
  const encoderFrozen = cfg.freezeAe || cfg.decoderOnly;
  if (encoderFrozen && cfg.cacheEncodings) trainSplit.encodings = timed("training texts encoded once by the frozen encoder", cfg.decoderOnly ? "" : ": steps are denoiser-only", () => encodeSplit(model, trainSplit));
  if ((cfg.freezeCond || cfg.decoderOnly) && cfg.cacheEncodings && trainSplit.cond) trainSplit.condFeatures = timed("training documents encoded once by the frozen condition encoder", "", () => encodeDocuments(model, trainSplit));
}

/**
 * `[count·rowLen·dim]`: a frozen network run once over the split, `chunk` rows at a time (`forward`
 * gets the first row and the row count and returns `[n, rowLen, dim]`).
 */
function encodeOnce(count: number, rowLen: number, dim: number, chunk: number, forward: (start: number, n: number) => tf.Tensor): { data: Float32Array; dim: number } {
  const out = new Float32Array(count * rowLen * dim);
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    const e = tf.tidy(() => forward(start, n));
    out.set(e.dataSync() as Float32Array, start * rowLen * dim);
    e.dispose();
  }
  return { data: out, dim };
}

/** Enc outputs e (before Normalize) of every row of `split`, in row order. */
export function encodeSplit(model: LatentDiffusionModel, split: TokenizedSplit): { data: Float32Array; dim: number } {
  const L = split.length;
  const W = model.weights();
  return encodeOnce(split.count, L, model.cfg.latentDim, 64, (start, n) => model.nets.enc.forward(tf.tensor2d(split.tokens.subarray(start * L, (start + n) * L), [n, L], "int32"), W));
}

/** `[count·S·Dc]` outputs of the frozen condition encoder for every document of the split (--freeze-cond). */
function encodeDocuments(model: LatentDiffusionModel, split: TokenizedSplit): { data: Float32Array; dim: number } {
  const condEnc = model.nets.condEnc;
  const cond = split.cond;
  if (!condEnc || !cond) throw new Error("encodeDocuments needs a summarize model and documents");
  const S = cond.length;
  const W = model.weights();
  return encodeOnce(split.count, S, condEnc.cfg.dModel, 32, (start, n) =>
    condEnc.forward(tf.tensor2d(cond.tokens.subarray(start * S, (start + n) * S), [n, S], "int32"), tf.tensor2d(cond.mask.subarray(start * S, (start + n) * S), [n, S]), W),
  );
}

/** Fine-tuning init: take every checkpoint weight (raw or EMA, --init-weights) whose name and shape match; keep the rest fresh. */
function mergeInit(fresh: FloatWeights, ckpt: LoadedCheckpoint, which: InitWeights, print: (l: string) => void): FloatWeights {
  const source = initWeightSet(ckpt, which);
  const out = new Map(fresh);
  let taken = 0;
  const skipped: string[] = [];
  for (const [name, w] of fresh) {
    const c = source.get(name);
    if (c && c.shape.join(",") === w.shape.join(",")) {
      out.set(name, c);
      taken++;
    } else skipped.push(name);
  }
  print(`[init-from] ${ckpt.dir}: ${taken} ${which === "ema" && source !== ckpt.weights ? "EMA " : ""}weights loaded, ${skipped.length} fresh${skipped.length ? ` (${skipped.slice(0, 4).join(", ")}${skipped.length > 4 ? ", …" : ""})` : ""}`);
  return out;
}
