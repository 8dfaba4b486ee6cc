// The training loop, read top to bottom like nanoGPT's train.py: batch → noise → step (joint
// objective) → AdamW per gradient set → EMA → log → every N steps validate / sample / plot →
// checkpoint or stop. Everything before the first step (options, data, model, optimizer, resume
// state, log) is setup.ts; the trainer's resume state is resume-state.ts; the records, log.ts.
//
// Exact resume: every random draw of step n is a pure function of (seed, n) or comes from a
// SeededRandom whose position is checkpointed; the data order is a seeded per-epoch shuffle with a
// checkpointed position; weights, Adam moments, EMA, normalization statistics and the adaptive
// timestep bins are checkpointed. On resume the log is cut back to the checkpoint's step.
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { type CompactTokenizer, type ModelConfig, SeededRandom, gaussianNoise, saveCheckpoint, writeFileAtomic } from "@ldtext/core";
import type { BackendInfo } from "../backend/index.ts";
import type { LatentDiffusionModel } from "../model/model.ts";
import { Normalizer } from "../model/normalize.ts";
import { softmaxCrossEntropy } from "../model/kernels.ts";
import { type ResolvedTrainConfig, type TrainConfigInput, couplingAt, resolveTrainConfig } from "./config.ts";
import { type TokenizedSplit, gatherBatch } from "./data.ts";
import type { Batch, JointObjective, StepNoise, StepResult } from "./objective.ts";
import { type AdamW, learningRate } from "./optimizer.ts";
import { Progress } from "./progress.ts";
import type { TimestepSampler } from "./timesteps.ts";
import { writeDocumentGainPlot, writeLossPlot, writeSnrPlot } from "./plot.ts";
import { sampleTexts } from "./samples.ts";
import { buildNetworks } from "../model/inference.ts";
import { documentGain, probeFixedSnr, type SnrProbe } from "./snr-probe.ts";
import { prepareTraining, type TrainingSetup } from "./setup.ts";
import { captureTrainerState } from "./resume-state.ts";
import type { SamplesRecord, TrainRecord, ValRecord } from "./log.ts";

export type { TrainRecord, ValRecord, SamplesRecord, LogRecord } from "./log.ts";
export type { TrainingSetup } from "./setup.ts";

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

const VAL_ROW_BASE = 1_000_000;

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
    const s = await prepareTraining(this.input, this.cfg, this.print);
    const { cfg, optimizer, objective, sampler, rng, timesteps, log, startStep } = s;
    const out = cfg.out;
    const progress = new Progress(cfg.steps, cfg.progress);
    const loopStart = Date.now();
    const trainSecNow = () => s.priorSec + (Date.now() - loopStart) / 1000;
    let tpsEma = 0;
    let stopped: TrainSummary["stopped"] = "done";
    progress.start(startStep);
    try {
      // The baseline of the validation curves.
      if (startStep === 0) await this.evaluate(s, progress, 0, () => s.priorSec);
      for (let step = startStep + 1; step <= cfg.steps; step++) {
        const ts = performance.now();
        // Batch and every random draw of this step.
        const batch = sampler.next();
        const noise = drawNoise(cfg, s.modelConfig, rng, timesteps, batch, step);
        // Forward and backward of the joint objective.
        const coupling = cfg.config === 3 ? couplingAt(cfg, step) : 1;
        const r = objective.step(batch, noise, { lossConfig: cfg.config, coupling, want: { dif: !cfg.decoderOnly, ae: !cfg.freezeAe } });
        assertFinite(r, step, cfg.freezeAe);
        timesteps.observe(noise.t, r.difPerRow);
        // Optimizer (one AdamW update per gradient set), then the EMA.
        const gradNormDif = optimizer.apply(r.difGrads, step);
        const gradNormAe = optimizer.apply(r.aeGrads, step);
        optimizer.updateEma(step, s.emaNames);
        // Log.
        const tps = s.tokensPerStep / ((performance.now() - ts) / 1000);
        tpsEma = tpsEma === 0 ? tps : 0.9 * tpsEma + 0.1 * tps;
        await log.append<TrainRecord>({
          kind: "train", step, ...r.losses, lr: learningRate(optimizer.cfg, step), coupling, selfCond: noise.selfCond,
          gradNormDif, gradNormAe, tokensPerSec: tps, elapsedSec: (Date.now() - loopStart) / 1000, trainSec: trainSecNow(),
          trainFlops: s.priorFlops + (step - startStep) * s.flopsPerStep,
        });
        progress.update(step, { dif: fmtLoss(r.losses.dif), ce: fmtLoss(r.losses.ce ?? r.losses.ceClean ?? NaN), tps: tpsEma.toFixed(0) });
        // Periodic validation, samples and plots.
        if (step % cfg.valEvery === 0 || step === cfg.steps) await this.evaluate(s, progress, step, trainSecNow);
        // Checkpoint and stop (yield first so SIGINT/SIGTERM handlers run between steps).
        await new Promise((res) => setImmediate(res));
        const stopping = this.stopSignal !== null;
        if (step % cfg.ckptEvery === 0 || step === cfg.steps || stopping) {
          await saveRun(s, step);
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
    return this.finish(s, t0, stopped);
  }

  /** Validation record, samples (EMA weights) and plots at `step`. */
  private async evaluate(s: TrainingSetup, progress: Progress, step: number, trainSec: () => number): Promise<void> {
    const { cfg, log } = s;
    const val = await log.append<ValRecord>({ ...this.validate(s.model, s.objective, s.valSplit, cfg, step), trainSec: trainSec() });
    // Step 0 prints the probes too: of a run started from a checkpoint they are the baseline the
    // run's later validations (the documents' gain above all) are read against.
    progress.log(`[val] step ${step}: dif ${fmtLoss(val.dif)} · ce ${fmtLoss(val.ce)} · clean-latent recon ce ${fmtLoss(val.reconCe)}, acc ${(100 * val.reconAcc).toFixed(1)} % · ${fmtProbe(val.snr)}${val.snrNull ? ` · document adds ${fmtCondGain(val.snr, val.snrNull)}` : ""}`);
    if (step === 0) return;
    if (cfg.samples > 0) {
      const rec = await log.append(await this.samples(s.model, s.optimizer, s.tokenizer, s.valSplit, cfg, step));
      rec.texts.forEach((text, i) => progress.log(`[sample ${i + 1}] ${text}`));
    }
    await writeLossPlot(join(cfg.out, "loss"), log.history).catch((e: unknown) => progress.log(`[plot] not written: ${String(e)}`));
    await writeSnrPlot(join(cfg.out, "snr"), log.history).catch((e: unknown) => progress.log(`[plot] not written: ${String(e)}`));
    await writeDocumentGainPlot(join(cfg.out, "docgain"), log.history).catch((e: unknown) => progress.log(`[plot] not written: ${String(e)}`));
  }

  /** The last plot, `summary.json`, and the model and optimizer freed. */
  private async finish(s: TrainingSetup, t0: number, stopped: TrainSummary["stopped"]): Promise<TrainSummary> {
    const { cfg, log, startStep } = s;
    if (startStep >= cfg.steps) this.print(`[done] checkpoint already at step ${startStep} ≥ --steps ${cfg.steps}`);
    await writeLossPlot(join(cfg.out, "loss"), log.history).catch((e: unknown) => this.print(`[plot] not written: ${String(e)}`));
    const summary: TrainSummary = {
      out: cfg.out, steps: cfg.steps, startStep, stopped, backend: s.backend, seconds: (Date.now() - t0) / 1000, parameters: s.parameters,
      ...(log.lastTrain ? { last: log.lastTrain } : {}), ...(log.lastVal ? { lastVal: log.lastVal } : {}),
    };
    await writeFileAtomic(join(cfg.out, "summary.json"), JSON.stringify(summary, null, 2));
    s.optimizer.dispose();
    s.model.dispose();
    return summary;
  }

  /** A few texts from the EMA weights (fixed seed, so consecutive validations are comparable). */
  async samples(model: LatentDiffusionModel, optimizer: AdamW, tokenizer: CompactTokenizer, split: TokenizedSplit, cfg: ResolvedTrainConfig, step: number): Promise<SamplesRecord> {
    const nets = buildNetworks(model.cfg, optimizer.emaWeights(), model.norm.stateful && !model.norm.mean ? undefined : model.norm.state());
    try {
      const count = split.cond ? Math.min(cfg.samples, split.count) : cfg.samples;
      const documents = split.cond
        ? { tokens: split.cond.tokens.slice(0, count * split.cond.length), mask: split.cond.mask.slice(0, count * split.cond.length), length: split.cond.length }
        : undefined;
      const texts = await sampleTexts(nets, tokenizer, { count, steps: cfg.sampleSteps, seed: cfg.seed + 2, ...(documents ? { documents } : {}) });
      return { kind: "samples", step, steps: cfg.sampleSteps, texts };
    } finally {
      nets.dispose();
    }
  }

  /** Validation at fixed noise (the same every time, so curves are comparable). */
  validate(model: LatentDiffusionModel, objective: JointObjective, split: TokenizedSplit, cfg: ResolvedTrainConfig, step: number): ValRecord {
    const W = model.weights();
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
        // The objective's forward: x0 = Normalize(Enc(w)), x_t = α x0 + σ ε, x̂0 = Dif(x_t, 0, t), Dec.
        const tokens = tf.tensor2d(batch.tokens, [b, L], "int32");
        const labels = tf.reshape(tokens, [-1]) as tf.Tensor1D;
        const e = objective.encode(batch, tokens, W);
        const x0 = norm.stateful && !norm.mean ? norm.train(e, tokens) : norm.apply(e);
        const { alpha, sigma } = objective.rowScales(tv);
        const xt = objective.noised(x0, alpha, sigma, tf.tensor3d(eps, [b, L, d]));
        const c = batch.cond ? objective.condition(batch, undefined) : null;
        const xhat = objective.denoise(xt, tf.zerosLike(xt), tf.tensor1d(tv), c, W);
        dSum += tf.mean(tf.square(tf.sub(x0, xhat))).dataSync()[0] * b;
        // Each [B·L, V] logits tensor and its softmax in a tidy of its own: the outer tidy would keep
        // them all to the end of the batch, and the wasm heap never shrinks from its high-water mark.
        ceSum += tf.tidy(() => softmaxCrossEntropy(objective.logits(xhat, W), labels)).dataSync()[0] * b;
        const [rce, predT] = tf.tidy(() => {
          const logits = objective.logits(x0, W);
          return [softmaxCrossEntropy(logits, labels), tf.argMax(logits, -1)];
        });
        rceSum += rce.dataSync()[0] * b;
        const pred = predT.dataSync();
        for (let i = 0; i < pred.length; i++) {
          if (batch.tokens[i] === 0) continue;
          counted++;
          if (pred[i] === batch.tokens[i]) correct++;
        }
      });
      rows += b;
    }
    const snr = probeFixedSnr(model, objective, norm, split, { batch: cfg.batch, seed: cfg.seed + 3 });
    const snrNull = split.cond ? probeFixedSnr(model, objective, norm, split, { batch: cfg.batch, seed: cfg.seed + 3, nullCondition: true }) : undefined;
    return { kind: "val", step, dif: dSum / rows, ce: ceSum / rows, reconCe: rceSum / rows, reconAcc: counted > 0 ? correct / counted : 0, snr, ...(snrNull ? { snrNull } : {}) };
  }
}

/** The diverged-loss guard: frees the step's gradients and stops the run before anything is written. */
function assertFinite(r: StepResult, step: number, freezeAe: boolean): void {
  if (Number.isFinite(r.losses.dif) && (freezeAe || Number.isFinite(r.losses.ae))) return;
  tf.dispose([...r.difGrads.values(), ...r.aeGrads.values()]);
  throw new Error(`the loss diverged at step ${step} (L_dif ${r.losses.dif}, L_ae ${r.losses.ae}); nothing was written after the last checkpoint; start again with a lower --lr`);
}

/** All random draws of `step`, in a fixed order (uniforms from `rng`, Gaussians keyed by step). */
function drawNoise(cfg: ResolvedTrainConfig, mc: ModelConfig, rng: SeededRandom, timesteps: TimestepSampler, batch: Batch, step: number): StepNoise {
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

/** The checkpoint of the run at `step`: weights, optimizer, normalization, trainer state, latest records. */
async function saveRun(s: TrainingSetup, step: number): Promise<void> {
  const opt = s.optimizer.state();
  const state = captureTrainerState(s.rng, s.sampler, s.timesteps);
  const { lastTrain, lastVal } = s.log;
  await saveCheckpoint(join(s.cfg.out, "checkpoint"), {
    modelConfig: s.modelConfig,
    vocabulary: s.tokenizer.toJSON(),
    trainConfig: { ...s.cfg, resume: false } as Record<string, unknown>,
    step,
    weights: s.model.snapshot(),
    ema: opt.ema,
    adamM: opt.m,
    adamV: opt.v,
    norm: s.model.norm.state(),
    losses: { ...(lastTrain ? { train: lastTrain } : {}), ...(lastVal ? { val: lastVal } : {}) },
    // `backend`: read on resume (a different backend is not a bit-exact continuation).
    extra: { trainer: state, backend: s.backend.backend },
  });
}

/** "acc@SNR 2 97.1/98.0 % · …" (one call / self-conditioned). */
export function fmtProbe(probes: readonly SnrProbe[] | undefined): string {
  if (!probes) return "";
  return `acc@SNR ${probes.map((p) => `${p.snr} ${(100 * p.acc).toFixed(1)}/${(100 * p.accSc).toFixed(1)}`).join(" · ")} %`;
}

/** Accuracy points the documents add over the null condition at each probe SNR (one call). */
export function fmtCondGain(own: readonly SnrProbe[] | undefined, none: readonly SnrProbe[]): string {
  if (!own) return "";
  return `${documentGain(own, none).map((g) => `${g.snr} ${g.points >= 0 ? "+" : ""}${g.points.toFixed(1)}`).join(" · ")} points`;
}

function fmtLoss(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : "-";
}
