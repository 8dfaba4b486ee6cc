// The training loop: data → joint objective → AdamW per gradient set → EMA; validation every N
// steps, atomic checkpoints with exact resume, a JSONL log of every metric and a loss plot.
//
// Exact resume: every random draw of step n is a pure function of (seed, n) or comes from a
// SeededRandom whose position is checkpointed; the data order is a seeded per-epoch shuffle with a
// checkpointed position; weights, Adam moments, EMA, normalization statistics and the adaptive
// timestep bins are checkpointed. On resume the log is cut back to the checkpoint's step.
import * as tf from "@tensorflow/tfjs";
import { mkdir, readFile, writeFile, appendFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  CompactTokenizer,
  PRESETS,
  type ModelConfig,
  SeededRandom,
  type SeededRandomState,
  gaussianNoise,
  modelConfigFromPreset,
  ModelConfigSchema,
  writeFileAtomic,
} from "@ldtext/core";
import { initBackend, type BackendInfo } from "../backend/index.ts";
import { LatentDiffusionModel, initWeights } from "../model/model.ts";
import { Normalizer } from "../model/normalize.ts";
import { softmaxCrossEntropy } from "../model/kernels.ts";
import { type ResolvedTrainConfig, type TrainConfigInput, couplingAt, resolveTrainConfig } from "./config.ts";
import { loadCheckpoint, saveCheckpoint, type LoadedCheckpoint } from "./checkpoint.ts";
import { loadInitSource } from "./init-source.ts";
import { condConfigFromEncoder, copyEncoderIntoCondition } from "./cond-init.ts";
import { BatchSampler, type DataPosition, type TokenizedSplit, gatherBatch, loadCorpus, tokenizeSplit } from "./data.ts";
import { type Batch, JointObjective, type StepLosses, type StepNoise } from "./objective.ts";
import { AdamW, DEFAULT_OPTIMIZER, learningRate } from "./optimizer.ts";
import { Progress } from "./progress.ts";
import { TimestepSampler, type TimestepState } from "./timesteps.ts";
import { writeLossPlot, writeSnrPlot } from "./plot.ts";
import { sampleTexts } from "./samples.ts";
import { buildNetworks } from "../model/inference.ts";
import { probeFixedSnr, type SnrProbe } from "./snr-probe.ts";
import { stepFlops } from "./flops.ts";

export interface TrainRecord extends Partial<StepLosses> {
  kind: "train";
  step: number;
  lr: number;
  coupling: number;
  selfCond: boolean;
  gradNormDif: number;
  gradNormAe: number;
  tokensPerSec: number;
  elapsedSec: number;
  /** Training seconds so far, counting the runs this one resumed or was initialized from. */
  trainSec?: number;
  /** Estimated training FLOPs so far, counted the same way (flops.ts). */
  trainFlops?: number;
}

export interface ValRecord {
  kind: "val";
  step: number;
  /** L_dif at fixed noise, no self-conditioning. */
  dif: number;
  /** CE(w, Dec(x̂0)) at the same noise. */
  ce: number;
  /** Decoder on clean latents Dec(x0): CE and token accuracy over non-PAD positions. */
  reconCe: number;
  reconAcc: number;
  /** L_dif and Dec(x̂0) token accuracy at fixed SNRs (snr-probe.ts): the curves that decide recipes. */
  snr?: SnrProbe[];
  /** Seconds of training so far (this run and, with --init-from, the runs before it), for plots against hours. */
  trainSec?: number;
}

export interface SamplesRecord {
  kind: "samples";
  step: number;
  /** DDIM steps and the texts (EMA weights). */
  steps: number;
  texts: string[];
}

export type LogRecord = TrainRecord | ValRecord | SamplesRecord;

export interface TrainSummary {
  out: string;
  steps: number;
  startStep: number;
  stopped: "done" | "signal";
  backend: BackendInfo;
  seconds: number;
  last?: TrainRecord;
  lastVal?: ValRecord;
  parameters: Record<string, number>;
}

interface TrainerState {
  rng: SeededRandomState;
  data: DataPosition;
  timesteps: TimestepState;
}

const VAL_ROW_BASE = 1_000_000;
/** Options a resumed run may change; everything else comes from the checkpoint. */
const RUN_CONTROL = ["steps", "backend", "valEvery", "valExamples", "ckptEvery", "progress"] as const;

export class Trainer {
  private stopSignal: NodeJS.Signals | null = null;

  /** The options as resolved now (on resume, the checkpoint's options replace them in run()). */
  readonly cfg: ResolvedTrainConfig;

  constructor(readonly input: TrainConfigInput, public print: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {
    this.cfg = resolveTrainConfig(input);
  }

  static create(input: TrainConfigInput): Trainer {
    return new Trainer(input);
  }

  /** Ask the loop to checkpoint and stop after the current step (SIGINT/SIGTERM). */
  requestStop(signal: NodeJS.Signals): void {
    this.stopSignal = signal;
  }

  async run(): Promise<TrainSummary> {
    const t0 = Date.now();
    const out = this.cfg.out;
    await mkdir(out, { recursive: true });
    const backend = await initBackend(this.cfg.backend, { log: this.print });

    // Resume: the checkpoint's options win, except the run-control ones given explicitly now.
    let resumeFrom: LoadedCheckpoint | null = null;
    let cfg = this.cfg;
    if (cfg.resume) {
      resumeFrom = await loadCheckpoint(join(out, "checkpoint"));
      const overrides: Partial<TrainConfigInput> = {};
      for (const k of RUN_CONTROL) if (this.input[k] !== undefined) Object.assign(overrides, { [k]: this.input[k] });
      cfg = resolveTrainConfig({ ...(resumeFrom.trainConfig as TrainConfigInput), ...overrides, out, resume: true, initFrom: undefined });
      this.print(`[resume] ${resumeFrom.dir} at step ${resumeFrom.step} of ${cfg.steps}`);
    }
    if (!resumeFrom && existsSync(join(out, "checkpoint"))) {
      throw new Error(`${out} already holds a run (checkpoint/): pass --resume to continue it, or choose another --out`);
    }
    const initFrom = cfg.initFrom && !resumeFrom ? await loadInitSource(cfg.initFrom) : null;

    if (cfg.data === undefined) throw new Error("--data is required");
    const corpus = await loadCorpus(cfg.task, cfg.data, cfg.maxTrain !== undefined ? { maxTrain: cfg.maxTrain } : {});
    this.print(`[data] ${corpus.source}: ${corpus.train.length} train, ${corpus.validation.length} validation examples`);
    const savedVocab = resumeFrom?.vocabulary ?? initFrom?.vocabulary;
    const preset = PRESETS[cfg.preset];
    const tokenizer = savedVocab
      ? CompactTokenizer.fromJSON(savedVocab)
      : CompactTokenizer.build(
          corpus.train.flatMap((e) => (e.document !== undefined ? [e.text, e.document] : [e.text])),
          { topK: cfg.vocab !== undefined ? cfg.vocab - 259 : preset.topK },
        );
    const scheduleOverride = {
      ...(cfg.schedule !== undefined || cfg.scheduleD !== undefined
        ? { schedule: { name: cfg.schedule ?? initFrom?.modelConfig.schedule.name ?? "tan-d", d: cfg.scheduleD ?? initFrom?.modelConfig.schedule.d ?? 9 } }
        : {}),
      ...(cfg.timeCond !== undefined ? { difTimeCond: cfg.timeCond } : {}),
    };
    // --init-from of the same task continues the same networks (its config, not the preset's; the
    // schedule may change between stages); a different task (a generate checkpoint under a
    // summarizer) starts from the preset and takes the weights that fit.
    const modelConfig: ModelConfig = resumeFrom
      ? resumeFrom.modelConfig
      : initFrom && initFrom.modelConfig.task === cfg.task
        ? ModelConfigSchema.parse({ ...initFrom.modelConfig, ...scheduleOverride })
        : modelConfigFromPreset(cfg.preset, cfg.task, tokenizer.vocabSize, { maxLen: cfg.length, norm: cfg.norm, normAlpha: cfg.alpha, ...scheduleOverride });
    const sameTaskInit = initFrom !== null && initFrom.modelConfig.task === cfg.task;
    const copyCondFromEnc = cfg.condFrom === "encoder" && !resumeFrom;
    if (copyCondFromEnc && !sameTaskInit) Object.assign(modelConfig, condConfigFromEncoder(modelConfig));
    const condLen = modelConfig.condMaxLen;
    const trainSplit = tokenizeSplit(tokenizer, corpus.train, modelConfig.maxLen, condLen);
    const valSplit = tokenizeSplit(tokenizer, corpus.validation.slice(0, cfg.valExamples), modelConfig.maxLen, condLen);
    tokenizer.free();
    this.print(`[tokens] V = ${modelConfig.vocabSize}, L = ${modelConfig.maxLen}; ${(100 * trainSplit.fractionTruncated).toFixed(1)} % of training texts truncated`);

    // Model and optimizer.
    let weights = resumeFrom?.weights ?? initWeights(modelConfig, cfg.seed);
    if (initFrom) weights = mergeInit(weights, initFrom, this.print);
    if (copyCondFromEnc) {
      const r = copyEncoderIntoCondition(weights, modelConfig);
      weights = r.weights;
      this.print(`[cond-from] CondEnc starts as the text encoder's trunk (${r.copied} weights copied)`);
    }
    const model = new LatentDiffusionModel(modelConfig, weights);
    if (resumeFrom) model.norm.load(resumeFrom.norm);
    else if (initFrom && initFrom.modelConfig.norm === modelConfig.norm) model.norm.load(initFrom.norm);
    const optimizer = new AdamW(model, { ...DEFAULT_OPTIMIZER, lr: cfg.lr, totalSteps: cfg.totalSteps, warmupSteps: cfg.warmupSteps, weightDecay: cfg.weightDecay, clipNorm: cfg.clipNorm, emaDecay: cfg.emaDecay });
    if (resumeFrom) {
      if (!resumeFrom.adamM || !resumeFrom.adamV) throw new Error(`${resumeFrom.dir}: no optimizer state to resume from`);
      optimizer.load({ m: resumeFrom.adamM, v: resumeFrom.adamV, ...(resumeFrom.ema ? { ema: resumeFrom.ema } : {}) });
    }
    const parameters = { enc: model.parameterCount("enc"), dec: model.parameterCount("dec"), dif: model.parameterCount("dif"), cond: model.parameterCount("cond"), total: model.parameterCount() };
    this.print(`[model] preset ${cfg.preset}, task ${cfg.task}, config ${cfg.config}, norm ${cfg.norm}${cfg.freezeAe ? ", Enc/Dec frozen (Dif-only steps)" : ""}; parameters ${JSON.stringify(parameters)}`);

    if (cfg.freezeAe && cfg.cacheEncodings) {
      const t = Date.now();
      trainSplit.encodings = encodeSplit(model, trainSplit);
      this.print(`[cache] ${trainSplit.count} training texts encoded once by the frozen encoder (${(trainSplit.encodings.data.byteLength / 2 ** 30).toFixed(2)} GiB, ${((Date.now() - t) / 1000).toFixed(0)} s): steps are denoiser-only`);
    }

    if (cfg.freezeCond && cfg.cacheEncodings && trainSplit.cond) {
      const t = Date.now();
      trainSplit.condFeatures = encodeDocuments(model, trainSplit);
      this.print(`[cache] ${trainSplit.count} training documents encoded once by the frozen condition encoder (${(trainSplit.condFeatures.data.byteLength / 2 ** 30).toFixed(2)} GiB, ${((Date.now() - t) / 1000).toFixed(0)} s)`);
    }

    // Trainer state.
    const state = resumeFrom ? (resumeFrom.extra?.trainer as TrainerState | undefined) : undefined;
    if (resumeFrom && !state) throw new Error(`${resumeFrom.dir}: checkpoint lacks the trainer state`);
    const rng = state ? SeededRandom.fromState(state.rng) : new SeededRandom(cfg.seed);
    const sampler = new BatchSampler(trainSplit, cfg.batch, cfg.seed, state ? state.data : { epoch: 0, index: 0 });
    const timesteps = new TimestepSampler(cfg.tMin, cfg.adaptiveT);
    if (state) timesteps.load(state.timesteps);
    const objective = new JointObjective(model, { trainCondEncoder: !cfg.freezeCond });
    const startStep = resumeFrom?.step ?? 0;
    // --freeze-ae: Enc/Dec never change, so only Dif's (and CondEnc's) EMA needs updating each step.
    const emaNames = (cfg.freezeAe ? model.namesOf("dif", "cond") : model.names).filter((n) => !cfg.freezeCond || !n.startsWith("cond.") || n === "cond.null");

    const logPath = join(out, "log.jsonl");
    const history: LogRecord[] = await prepareLog(logPath, startStep, resumeFrom !== null);
    let lastTrain = [...history].reverse().find((r): r is TrainRecord => r.kind === "train");
    let lastVal = [...history].reverse().find((r): r is ValRecord => r.kind === "val");

    const save = async (step: number) => {
      const opt = optimizer.state();
      await saveCheckpoint(join(out, "checkpoint"), {
        modelConfig,
        vocabulary: tokenizer.toJSON(),
        trainConfig: { ...cfg, resume: false } as Record<string, unknown>,
        step,
        weights: model.snapshot(),
        ema: opt.ema,
        adamM: opt.m,
        adamV: opt.v,
        norm: model.norm.state(),
        rng: rng.state(),
        data: sampler.position,
        losses: { ...(lastTrain ? { train: lastTrain } : {}), ...(lastVal ? { val: lastVal } : {}) },
        extra: { trainer: { rng: rng.state(), data: sampler.position, timesteps: timesteps.state() } satisfies TrainerState, backend: backend.backend },
      });
    };

    const progress = new Progress(cfg.steps, cfg.progress);
    const tokensPerStep = cfg.batch * modelConfig.maxLen;
    let tpsEma = 0;
    let stopped: TrainSummary["stopped"] = "done";
    const loopStart = Date.now();
    // Hours of training behind this model, across resumes and --init-from stages (plots against compute).
    const priorSec = resumeFrom ? (lastTrain?.trainSec ?? lastTrain?.elapsedSec ?? 0) : (initFrom ? priorTrainSeconds(initFrom) : 0);
    const trainSecNow = () => priorSec + (Date.now() - loopStart) / 1000;
    const priorFlops = resumeFrom ? (lastTrain?.trainFlops ?? 0) : (initFrom ? priorTrainFlops(initFrom) : 0);
    const flopsPerStep = stepFlops({
      params: { enc: parameters.enc, dec: parameters.dec, dif: parameters.dif, cond: parameters.cond },
      tokens: tokensPerStep, selfCondProb: cfg.selfCondProb, freezeAe: cfg.freezeAe,
      cachedEncodings: trainSplit.encodings !== undefined, decoderNoiseRows: cfg.decoderNoise ? cfg.decoderNoiseRows : 0,
    });
    progress.start(startStep);
    try {
      if (startStep === 0) {
        // The baseline of the validation curves.
        lastVal = { ...this.validate(model, objective, valSplit, cfg, 0), trainSec: priorSec };
        history.push(lastVal);
        await appendFile(logPath, `${JSON.stringify(lastVal)}\n`);
        progress.log(`[val] step 0: dif ${fmtLoss(lastVal.dif)} · ce ${fmtLoss(lastVal.ce)} · clean-latent recon ce ${fmtLoss(lastVal.reconCe)}`);
      }
      for (let step = startStep + 1; step <= cfg.steps; step++) {
        const ts = performance.now();
        const batch = sampler.next();
        const noise = this.drawNoise(cfg, modelConfig, rng, timesteps, batch, step);
        const coupling = cfg.config === 3 ? couplingAt(cfg, step) : 1;
        const r = objective.step(batch, noise, { config: cfg.config, coupling, want: { dif: true, ae: !cfg.freezeAe } });
        if (!Number.isFinite(r.losses.dif) || (!cfg.freezeAe && !Number.isFinite(r.losses.ae))) {
          tf.dispose([...r.difGrads.values(), ...r.aeGrads.values()]);
          throw new Error(`the loss diverged at step ${step} (L_dif ${r.losses.dif}, L_ae ${r.losses.ae}); nothing was written after the last checkpoint; start again with a lower --lr`);
        }
        timesteps.observe(noise.t, r.difPerRow);
        const gradNormDif = optimizer.apply(r.difGrads, step);
        const gradNormAe = optimizer.apply(r.aeGrads, step);
        optimizer.updateEma(step, emaNames);
        const dt = (performance.now() - ts) / 1000;
        const tps = tokensPerStep / dt;
        tpsEma = tpsEma === 0 ? tps : 0.9 * tpsEma + 0.1 * tps;
        const rec: TrainRecord = {
          kind: "train", step, ...r.losses, lr: learningRate(optimizer.cfg, step), coupling, selfCond: noise.selfCond,
          gradNormDif, gradNormAe, tokensPerSec: tps, elapsedSec: (Date.now() - loopStart) / 1000, trainSec: trainSecNow(),
          trainFlops: priorFlops + (step - startStep) * flopsPerStep,
        };
        lastTrain = rec;
        history.push(rec);
        await appendFile(logPath, `${JSON.stringify(rec)}\n`);
        progress.update(step, { dif: fmtLoss(r.losses.dif), ce: fmtLoss(r.losses.ce ?? r.losses.ceClean ?? NaN), tps: tpsEma.toFixed(0) });

        if (step % cfg.valEvery === 0 || step === cfg.steps) {
          lastVal = { ...this.validate(model, objective, valSplit, cfg, step), trainSec: trainSecNow() };
          history.push(lastVal);
          await appendFile(logPath, `${JSON.stringify(lastVal)}\n`);
          progress.log(`[val] step ${step}: dif ${fmtLoss(lastVal.dif)} · ce ${fmtLoss(lastVal.ce)} · clean-latent recon ce ${fmtLoss(lastVal.reconCe)}, acc ${(100 * lastVal.reconAcc).toFixed(1)} % · ${fmtProbe(lastVal.snr)}`);
          if (cfg.samples > 0) {
            const rec = this.samples(model, optimizer, tokenizer, valSplit, cfg, step);
            history.push(rec);
            await appendFile(logPath, `${JSON.stringify(rec)}\n`);
            rec.texts.forEach((text, i) => progress.log(`[sample ${i + 1}] ${text}`));
          }
          await writeLossPlot(join(out, "loss"), history).catch((e: unknown) => progress.log(`[plot] not written: ${String(e)}`));
          await writeSnrPlot(join(out, "snr"), history).catch((e: unknown) => progress.log(`[plot] not written: ${String(e)}`));
        }
        // Yield to the event loop so SIGINT/SIGTERM handlers run between steps.
        await new Promise((res) => setImmediate(res));
        const stopping = this.stopSignal !== null;
        if (step % cfg.ckptEvery === 0 || step === cfg.steps || stopping) {
          await save(step);
          if (step % cfg.ckptEvery === 0 && !stopping) progress.log(`[ckpt] step ${step} → ${join(out, "checkpoint")}`);
        }
        if (stopping) {
          stopped = "signal";
          progress.log(`[stop] ${this.stopSignal}: checkpoint written at step ${step}; resume with --resume --out ${out}`);
          break;
        }
      }
    } finally {
      progress.stop();
    }
    if (startStep >= cfg.steps) this.print(`[done] checkpoint already at step ${startStep} ≥ --steps ${cfg.steps}`);
    await writeLossPlot(join(out, "loss"), history).catch((e: unknown) => this.print(`[plot] not written: ${String(e)}`));
    const summary: TrainSummary = {
      out, steps: cfg.steps, startStep, stopped, backend, seconds: (Date.now() - t0) / 1000, parameters,
      ...(lastTrain ? { last: lastTrain } : {}), ...(lastVal ? { lastVal } : {}),
    };
    await writeFileAtomic(join(out, "summary.json"), JSON.stringify(summary, null, 2));
    optimizer.dispose();
    model.dispose();
    return summary;
  }

  /** All random draws of `step`, in a fixed order (uniforms from `rng`, Gaussians keyed by step). */
  private drawNoise(cfg: ResolvedTrainConfig, mc: ModelConfig, rng: SeededRandom, timesteps: TimestepSampler, batch: Batch, step: number): StepNoise {
    const b = batch.batch;
    const n = b * batch.length * mc.latentDim;
    const t = timesteps.sample(rng, b);
    const selfCond = rng.nextFloat() < cfg.selfCondProb;
    const noise: StepNoise = { t, eps: gaussianNoise(cfg.seed, step, 0, n), selfCond };
    if (batch.cond) noise.condKeep = Float32Array.from({ length: b }, () => (rng.nextFloat() < cfg.condDropout ? 0 : 1));
    if (cfg.decoderNoise) {
      const k = Math.max(1, Math.round(cfg.decoderNoiseRows * b));
      noise.decT = Float32Array.from({ length: k }, () => cfg.decoderNoiseTMax * rng.nextFloat());
      noise.decEps = gaussianNoise(cfg.seed, step, 1, k * batch.length * mc.latentDim);
    }
    return noise;
  }

  /** A few texts from the EMA weights (fixed seed, so consecutive validations are comparable). */
  samples(model: LatentDiffusionModel, optimizer: AdamW, tokenizer: CompactTokenizer, split: TokenizedSplit, cfg: ResolvedTrainConfig, step: number): SamplesRecord {
    const nets = buildNetworks(model.cfg, optimizer.emaWeights(), model.norm.stateful && !model.norm.mean ? undefined : model.norm.state());
    try {
      const count = split.cond ? Math.min(cfg.samples, split.count) : cfg.samples;
      const documents = split.cond
        ? { tokens: split.cond.tokens.slice(0, count * split.cond.length), mask: split.cond.mask.slice(0, count * split.cond.length), length: split.cond.length }
        : undefined;
      const texts = sampleTexts(nets, tokenizer, { count, steps: cfg.sampleSteps, seed: cfg.seed + 2, ...(documents ? { documents } : {}) });
      return { kind: "samples", step, steps: cfg.sampleSteps, texts };
    } finally {
      nets.dispose();
    }
  }

  /** Validation at fixed noise (the same every time, so curves are comparable). */
  validate(model: LatentDiffusionModel, objective: JointObjective, split: TokenizedSplit, cfg: ResolvedTrainConfig, step: number): ValRecord {
    const W = model.weights();
    const { enc, dec, dif } = model.nets;
    const rng = new SeededRandom(cfg.seed + 1);
    // Before the first training batch DataNorm/BatchNorm have no statistics: the step-0 baseline
    // then normalizes with statistics taken from its first validation batch.
    const norm = model.norm.stateful && !model.norm.mean ? new Normalizer(model.norm.kind, model.norm.latentDim, 1) : model.norm;
    let dSum = 0, ceSum = 0, rceSum = 0, correct = 0, counted = 0, rows = 0;
    for (let start = 0; start < split.count; start += cfg.batch) {
      const idx = Array.from({ length: Math.min(cfg.batch, split.count - start) }, (_, i) => start + i);
      const batch = gatherBatch(split, idx);
      const b = batch.batch;
      const L = batch.length;
      const d = model.cfg.latentDim;
      const tv = Float32Array.from({ length: b }, () => cfg.tMin + (1 - cfg.tMin) * rng.nextFloat());
      const eps = gaussianNoise(cfg.seed, 0, VAL_ROW_BASE + start, b * L * d);
      tf.tidy(() => {
        const tokens = tf.tensor2d(batch.tokens, [b, L], "int32");
        const labels = tf.reshape(tokens, [-1]) as tf.Tensor1D;
        const e = enc.forward(tokens, W);
        const x0 = norm.stateful && !norm.mean ? norm.train(e, tokens) : norm.apply(e);
        const a = tf.tensor3d(Float32Array.from(tv, (x) => objective.schedule.alpha(x)), [b, 1, 1]);
        const s = tf.tensor3d(Float32Array.from(tv, (x) => objective.schedule.sigma(x)), [b, 1, 1]);
        const xt = tf.add(tf.mul(a, x0), tf.mul(s, tf.tensor3d(eps, [b, L, d]))) as tf.Tensor3D;
        const c = batch.cond ? objective.condition(batch, undefined) : null;
        const xhat = dif.forward({ xt, xsc: tf.zerosLike(xt), t: tf.tensor1d(tv), ...(c ? { cond: c.cond, condMask: c.mask } : {}) }, W);
        const V = model.cfg.vocabSize;
        dSum += tf.mean(tf.square(tf.sub(x0, xhat))).dataSync()[0] * b;
        ceSum += softmaxCrossEntropy(tf.reshape(dec.forward(xhat, W), [-1, V]) as tf.Tensor2D, labels).dataSync()[0] * b;
        const logits = tf.reshape(dec.forward(x0, W), [-1, V]) as tf.Tensor2D;
        rceSum += softmaxCrossEntropy(logits, labels).dataSync()[0] * b;
        const pred = tf.argMax(logits, -1).dataSync();
        for (let i = 0; i < pred.length; i++) {
          if (batch.tokens[i] === 0) continue;
          counted++;
          if (pred[i] === batch.tokens[i]) correct++;
        }
      });
      rows += b;
    }
    const snr = probeFixedSnr(model, objective, norm, split, { batch: cfg.batch, seed: cfg.seed + 3 });
    return { kind: "val", step, dif: dSum / rows, ce: ceSum / rows, reconCe: rceSum / rows, reconAcc: counted > 0 ? correct / counted : 0, snr };
  }
}

/** "acc@SNR 2 97.1/98.0 % · …" (one call / self-conditioned). */
export function fmtProbe(probes: readonly SnrProbe[] | undefined): string {
  if (!probes) return "";
  return `acc@SNR ${probes.map((p) => `${p.snr} ${(100 * p.acc).toFixed(1)}/${(100 * p.accSc).toFixed(1)}`).join(" · ")} %`;
}

function fmtLoss(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : "-";
}

/** Training FLOPs recorded in an --init-from source, 0 if unknown. */
function priorTrainFlops(ckpt: LoadedCheckpoint): number {
  const train = ckpt.losses?.train as { trainFlops?: number } | undefined;
  return train?.trainFlops ?? 0;
}

/** Enc outputs e (before Normalize) of every row of `split`, in row order. */
function encodeSplit(model: LatentDiffusionModel, split: TokenizedSplit): { data: Float32Array; dim: number } {
  const d = model.cfg.latentDim;
  const L = split.length;
  const out = new Float32Array(split.count * L * d);
  const W = model.weights();
  const chunk = 64;
  for (let start = 0; start < split.count; start += chunk) {
    const n = Math.min(chunk, split.count - start);
    const e = tf.tidy(() => model.nets.enc.forward(tf.tensor2d(split.tokens.subarray(start * L, (start + n) * L), [n, L], "int32"), W));
    out.set(e.dataSync() as Float32Array, start * L * d);
    e.dispose();
  }
  return { data: out, dim: d };
}

/** `[count·S·Dc]` outputs of the frozen condition encoder for every document of the split (--freeze-cond). */
function encodeDocuments(model: LatentDiffusionModel, split: TokenizedSplit): { data: Float32Array; dim: number } {
  const condEnc = model.nets.condEnc;
  if (!condEnc || !split.cond) throw new Error("encodeDocuments needs a summarize model and documents");
  const S = split.cond.length;
  const dim = condEnc.cfg.dModel;
  const out = new Float32Array(split.count * S * dim);
  const W = model.weights();
  const chunk = 32;
  for (let start = 0; start < split.count; start += chunk) {
    const n = Math.min(chunk, split.count - start);
    const c = tf.tidy(() => condEnc.forward(tf.tensor2d(split.cond!.tokens.subarray(start * S, (start + n) * S), [n, S], "int32"), tf.tensor2d(split.cond!.mask.subarray(start * S, (start + n) * S), [n, S]), W));
    out.set(c.dataSync() as Float32Array, start * S * dim);
    c.dispose();
  }
  return { data: out, dim };
}

/** Training seconds recorded in an --init-from source (its last training record), 0 if unknown. */
function priorTrainSeconds(ckpt: LoadedCheckpoint): number {
  const train = ckpt.losses?.train as { trainSec?: number; elapsedSec?: number } | undefined;
  return train?.trainSec ?? train?.elapsedSec ?? 0;
}

/** Fine-tuning init: take every checkpoint weight whose name and shape match; keep the rest fresh. */
function mergeInit(fresh: ReturnType<typeof initWeights>, ckpt: LoadedCheckpoint, print: (l: string) => void): ReturnType<typeof initWeights> {
  const out = new Map(fresh);
  let taken = 0;
  const skipped: string[] = [];
  for (const [name, w] of fresh) {
    const c = ckpt.weights.get(name);
    if (c && c.shape.join(",") === w.shape.join(",")) {
      out.set(name, c);
      taken++;
    } else skipped.push(name);
  }
  print(`[init-from] ${ckpt.dir}: ${taken} weights loaded, ${skipped.length} fresh${skipped.length ? ` (${skipped.slice(0, 4).join(", ")}${skipped.length > 4 ? ", …" : ""})` : ""}`);
  return out;
}

/** On resume keep the log's records up to the checkpoint's step (a killed run may have logged past it). */
async function prepareLog(path: string, step: number, resuming: boolean): Promise<LogRecord[]> {
  if (!resuming || !existsSync(path)) {
    await writeFile(path, "");
    return [];
  }
  const kept = (await readFile(path, "utf8"))
    .split("\n")
    .filter((l) => l.trim() !== "")
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as LogRecord];
      } catch {
        return []; // a line torn by the kill
      }
    })
    .filter((r) => r.step <= step);
  await writeFileAtomic(path, kept.map((r) => `${JSON.stringify(r)}\n`).join(""));
  return kept;
}
