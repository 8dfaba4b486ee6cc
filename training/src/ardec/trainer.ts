// Training the autoregressive decoder ArDec (MODEL-SPEC "ArDec") on a trained model's frozen encoder
// and denoiser: a stage after the joint training, like the Dif-only stage. Every other network stays
// as the source shipped it; the checkpoint holds them all plus `ard.*`, so export writes an artifact
// whose ArDec graphs (`ar_memory` + `ar_step`) the server decodes with, and the main trainer can still continue Dif.
//
// What ArDec sees: the latents sampling ends with are the denoiser's x̂0, not clean encodings, so each
// batch mixes rows of clean x0 = Normalize(Enc(w)), rows of x0 noised at small t (configuration 3's
// decoder noise) and rows of x̂0 = Dif(x_t, 0, t) at SNR ≥ `denoisedSnrMin` — the decoder learns
// p(w | x̂0) where x̂0 is ambiguous instead of copying it position by position (LD4LG decodes its
// latents autoregressively; the mix of inputs follows configuration 3's noised-decoder idea).
import * as tf from "@tensorflow/tfjs";
import { appendFile, mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  CompactTokenizer, type FloatWeights, type LoadedCheckpoint, type ModelConfig, type NetworkConfig, SeededRandom, gaussianNoise,
  loadCheckpoint, makeSchedule, saveCheckpoint, tAtLogSnr, writeFileAtomic,
} from "@ldtext/core";
import { initBackend } from "../backend/index.ts";
import { LatentDiffusionModel, initWeights } from "../model/model.ts";
import { shiftRight } from "../model/networks.ts";
import { softmaxCrossEntropy } from "../model/kernels.ts";
import { BatchSampler, type TokenizedSplit, gatherBatch, loadCorpus, tokenizeSplit } from "../train/data.ts";
import { AdamW, DEFAULT_OPTIMIZER, learningRate } from "../train/optimizer.ts";
import { Progress } from "../train/progress.ts";
import { initWeightSet, loadInitSource } from "../train/init-source.ts";
import { encodeSplit } from "../train/setup.ts";
import { writeLineChart } from "@ldtext/charts";

export interface ArDecTrainOptions {
  /** A checkpoint or artifact folder whose Enc, Dif and norm ArDec learns on (not with `resume`). */
  initFrom?: string;
  data: string;
  out: string;
  resume?: boolean;
  steps: number;
  totalSteps?: number;
  lr?: number;
  warmupSteps?: number;
  batch?: number;
  seed?: number;
  /** ArDec's shape (default: Dec's) and its start: Dec's trunk and lm_head + Enc's embedding, or fresh. */
  arDec?: NetworkConfig;
  init?: "dec" | "fresh";
  /** Shares of rows per batch that are Gaussian-noised x0 and denoised x̂0 (the rest clean). */
  noisyRows?: number;
  denoisedRows?: number;
  noiseTMax?: number;
  denoisedSnrMin?: number;
  maxTrain?: number;
  valEvery?: number;
  valExamples?: number;
  ckptEvery?: number;
  progress?: boolean;
}

type Resolved = Required<Omit<ArDecTrainOptions, "initFrom" | "arDec" | "maxTrain" | "totalSteps">> & Pick<ArDecTrainOptions, "initFrom" | "arDec" | "maxTrain"> & { totalSteps: number };

export function resolveArDecOptions(o: ArDecTrainOptions): Resolved {
  return {
    resume: false, lr: 3e-4, warmupSteps: 100, batch: 32, seed: 0, init: "dec", noisyRows: 0.25, denoisedRows: 0.5,
    noiseTMax: 0.15, denoisedSnrMin: 0.5, valEvery: 250, valExamples: 256, ckptEvery: 250, progress: true,
    ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
    totalSteps: o.totalSteps ?? o.steps,
  } as Resolved;
}

export interface ArDecValRecord {
  kind: "val";
  step: number;
  trainSec: number;
  /** Teacher-forced CE / token accuracy (non-PAD positions) of ArDec, and Dec's accuracy on the same latents. */
  probes: { input: string; ce: number; acc: number; decAcc: number }[];
}
export interface ArDecTrainRecord { kind: "train"; step: number; ce: number; lr: number; gradNorm: number; tokensPerSec: number; trainSec: number }

/** Fixed validation inputs: clean x0 and x̂0 = Dif(x_t) at these SNRs (one call, no self-conditioning). */
const VAL_SNRS = [2, 0.5, 0.12] as const;

/** `cfg` with ArDec added (its shape: `arDec`, default Dec's). */
export function withArDec(cfg: ModelConfig, arDec?: NetworkConfig): ModelConfig {
  return { ...cfg, arDec: arDec ?? cfg.arDec ?? { ...cfg.dec } };
}

/**
 * ArDec's initial weights from the trained Dec and Enc where shapes allow (the trunk's self-attention
 * and MLP, the latent projection, the LM head; Enc's token embedding), so the first step already
 * decodes about as well as Dec; cross-attention starts fresh (its output projection near zero).
 */
export function arDecInitFromDec(fresh: FloatWeights, source: FloatWeights): { weights: FloatWeights; copied: number } {
  const out = new Map(fresh);
  let copied = 0;
  for (const [name, w] of fresh) {
    if (!name.startsWith("ard.")) continue;
    const from = name === "ard.tok_emb" ? "enc.tok_emb" : `dec.${name.slice(4)}`;
    const s = source.get(from);
    if (s && s.shape.join(",") === w.shape.join(",")) {
      out.set(name, s);
      copied++;
    }
  }
  return { weights: out, copied };
}

/** One training or validation batch's latents: x0, with rows replaced by noised x0 / denoised x̂0. */
function mixedLatents(model: LatentDiffusionModel, x0: tf.Tensor3D, rows: { noisyT: Float32Array; denT: Float32Array; eps: Float32Array }): tf.Tensor3D {
  const [b, L, d] = x0.shape;
  const schedule = makeSchedule(model.cfg.schedule);
  const kN = rows.noisyT.length;
  const kD = rows.denT.length;
  const parts: tf.Tensor3D[] = [];
  const scale = (t: Float32Array, f: (v: number) => number) => tf.tensor3d(Float32Array.from(t, f), [t.length, 1, 1]);
  const noise = (t: Float32Array, start: number, x: tf.Tensor3D) =>
    tf.add(tf.mul(scale(t, (v) => schedule.alpha(v)), x), tf.mul(scale(t, (v) => schedule.sigma(v)), tf.tensor3d(rows.eps.subarray(start * L * d, (start + t.length) * L * d), [t.length, L, d]))) as tf.Tensor3D;
  if (kN > 0) parts.push(noise(rows.noisyT, 0, tf.slice(x0, [0, 0, 0], [kN, L, d])));
  if (kD > 0) {
    const xt = noise(rows.denT, kN, tf.slice(x0, [kN, 0, 0], [kD, L, d]));
    const W = model.weights();
    // A summarizer's denoiser reads the learned null condition here (the texts come without documents).
    const condEnc = model.nets.condEnc;
    const cond = condEnc
      ? { cond: tf.tile(tf.expandDims(condEnc.nullCondition(W), 0), [kD, 1, 1]) as tf.Tensor3D, condMask: tf.ones([kD, 1]) as tf.Tensor2D }
      : {};
    parts.push(model.nets.dif.forward({ xt, xsc: tf.zerosLike(xt), t: tf.tensor1d(rows.denT), ...cond }, W));
  }
  if (kN + kD < b) parts.push(tf.slice(x0, [kN + kD, 0, 0], [b - kN - kD, L, d]));
  return tf.concat(parts, 0);
}

interface Setup {
  cfg: Resolved;
  model: LatentDiffusionModel;
  optimizer: AdamW;
  tokenizer: CompactTokenizer;
  train: TokenizedSplit;
  val: TokenizedSplit;
  sampler: BatchSampler;
  rng: SeededRandom;
  startStep: number;
  priorSec: number;
  denTMax: number;
  names: string[];
  /** Validation records (kept in the checkpoint, so a resumed run plots its whole curve). */
  history: ArDecValRecord[];
  lastTrain?: ArDecTrainRecord;
}

async function setup(o: ArDecTrainOptions, print: (l: string) => void): Promise<Setup> {
  let cfg = resolveArDecOptions(o);
  await mkdir(cfg.out, { recursive: true });
  await initBackend("auto", { log: print });
  const ckptDir = join(cfg.out, "checkpoint");
  let resumeFrom: LoadedCheckpoint | null = null;
  if (cfg.resume) {
    resumeFrom = await loadCheckpoint(ckptDir);
    cfg = resolveArDecOptions({ ...(resumeFrom.trainConfig as unknown as ArDecTrainOptions), steps: cfg.steps, out: cfg.out, resume: true, progress: cfg.progress });
    print(`[resume] ${ckptDir} at step ${resumeFrom.step} of ${cfg.steps}`);
  } else if (existsSync(ckptDir)) {
    throw new Error(`${cfg.out} already holds a run (checkpoint/): pass --resume to continue it, or choose another --out`);
  }
  const source = resumeFrom ?? (cfg.initFrom ? await loadInitSource(cfg.initFrom) : null);
  if (!source) throw new Error("--init-from <checkpoint or artifact> is required (the model whose encoder and denoiser ArDec decodes)");
  const modelConfig = resumeFrom ? resumeFrom.modelConfig : withArDec(source.modelConfig, cfg.arDec);
  let weights: FloatWeights;
  if (resumeFrom) weights = resumeFrom.weights;
  else {
    // The frozen networks as the source ships them (its EMA weights for a checkpoint).
    const shipped = initWeightSet(source, source.ema && source.ema.size > 0 ? "ema" : "raw");
    const initial = initWeights(modelConfig, cfg.seed);
    // A source that already has an ArDec of this shape (an artifact shipped by this trainer) is
    // continued, not restarted: a later session on a new machine picks the run up from models/.
    const continued = [...initial].every(([n, w]) => !n.startsWith("ard.") || shipped.get(n)?.shape.join(",") === w.shape.join(","));
    const fresh = new Map([...initial].map(([n, w]) => [n, n.startsWith("ard.") && !continued ? w : (shipped.get(n) ?? w)]));
    const r = !continued && cfg.init === "dec" ? arDecInitFromDec(fresh, shipped) : { weights: fresh, copied: 0 };
    weights = r.weights;
    const how = continued ? "continued from the source's ArDec" : cfg.init === "dec" ? `from Dec/Enc (${r.copied} weights copied)` : "fresh";
    print(`[init] ${source.dir}: Enc/Dec/Dif frozen; ArDec ${how}`);
  }
  const model = new LatentDiffusionModel(modelConfig, weights);
  model.norm.load(source.norm);
  const optimizer = new AdamW(model, { ...DEFAULT_OPTIMIZER, lr: cfg.lr, totalSteps: cfg.totalSteps, warmupSteps: cfg.warmupSteps });
  if (resumeFrom) {
    if (!resumeFrom.adamM || !resumeFrom.adamV) throw new Error(`${ckptDir}: no optimizer state to resume from`);
    optimizer.load({ m: resumeFrom.adamM, v: resumeFrom.adamV, ...(resumeFrom.ema ? { ema: resumeFrom.ema } : {}) });
  }
  const tokenizer = CompactTokenizer.fromJSON(source.vocabulary);
  const corpus = await loadCorpus(modelConfig.task, cfg.data, cfg.maxTrain !== undefined ? { maxTrain: cfg.maxTrain } : {});
  const train = tokenizeSplit(tokenizer, corpus.train, modelConfig.maxLen);
  const val = tokenizeSplit(tokenizer, corpus.validation.slice(0, cfg.valExamples), modelConfig.maxLen);
  print(`[data] ${corpus.source}: ${train.count} train, ${val.count} validation texts (the texts, not documents: ArDec decodes text latents)`);
  const t = Date.now();
  train.encodings = encodeSplit(model, train);
  print(`[cache] ${train.count} training texts encoded once by the frozen encoder (${(train.encodings.data.byteLength / 2 ** 30).toFixed(2)} GiB, ${((Date.now() - t) / 1000).toFixed(0)} s)`);
  const state = resumeFrom?.extra?.ardec as { rng: ReturnType<SeededRandom["state"]>; data: { epoch: number; index: number }; history: ArDecValRecord[] } | undefined;
  const rng = state ? SeededRandom.fromState(state.rng) : new SeededRandom(cfg.seed);
  const sampler = new BatchSampler(train, cfg.batch, cfg.seed, state ? state.data : { epoch: 0, index: 0 });
  const priorSec = resumeFrom ? ((resumeFrom.losses?.train as { trainSec?: number } | undefined)?.trainSec ?? 0) : ((source.losses?.train as { trainSec?: number } | undefined)?.trainSec ?? 0);
  const denTMax = tAtLogSnr(makeSchedule(modelConfig.schedule), Math.log(cfg.denoisedSnrMin));
  return { cfg, model, optimizer, tokenizer, train, val, sampler, rng, startStep: resumeFrom?.step ?? 0, priorSec, denTMax, names: model.namesOf("ard"), history: state?.history ?? [] };
}

/** Rows of each input kind for a batch of `b` (noised first, then denoised, then clean). */
function drawRows(s: Setup, b: number, L: number, step: number, rowBase: number): { noisyT: Float32Array; denT: Float32Array; eps: Float32Array } {
  const kN = Math.round(s.cfg.noisyRows * b);
  const kD = Math.min(b - kN, Math.round(s.cfg.denoisedRows * b));
  const d = s.model.cfg.latentDim;
  return {
    noisyT: Float32Array.from({ length: kN }, () => s.cfg.noiseTMax * s.rng.nextFloat()),
    denT: Float32Array.from({ length: kD }, () => s.denTMax * s.rng.nextFloat()),
    eps: gaussianNoise(s.cfg.seed, step, rowBase, (kN + kD) * L * d),
  };
}

function labelsOf(tokens: Int32Array): { labels: tf.Tensor1D; mask: tf.Tensor1D } {
  return { labels: tf.tensor1d(tokens, "int32"), mask: tf.tensor1d(Float32Array.from(tokens, (v) => (v === 0 ? 0 : 1))) };
}

/** One step: CE of ArDec (teacher forcing) over every position, PAD included as Dec's loss counts it. */
function trainStep(s: Setup, step: number): { ce: number; gradNorm: number } {
  const batch = s.sampler.next();
  const { batch: b, length: L } = batch;
  const rows = drawRows(s, b, L, step, 0);
  const W = s.model.weights();
  const vars = s.model.variablesOf("ard");
  const grads = new Map<string, tf.Tensor>();
  const ce = tf.tidy(() => {
    const x0 = s.model.norm.apply(tf.tensor3d(batch.encodings!, [b, L, s.model.cfg.latentDim])) as tf.Tensor3D;
    const z = tf.keep(mixedLatents(s.model, x0, rows));
    const prev = tf.tensor2d(shiftRight(batch.tokens, b, L), [b, L], "int32");
    const labels = tf.tensor1d(batch.tokens, "int32");
    const { value, grads: g } = tf.variableGrads(() => {
      const logits = s.model.nets.arDec!.forward(z, prev, W);
      return softmaxCrossEntropy(tf.reshape(logits, [b * L, -1]) as tf.Tensor2D, labels);
    }, vars);
    for (const [varName, t] of Object.entries(g)) grads.set(s.model.byVarName.get(varName)!, tf.keep(t));
    z.dispose();
    return value.dataSync()[0];
  });
  const gradNorm = s.optimizer.apply(grads, step);
  s.optimizer.updateEma(step, s.names);
  return { ce, gradNorm };
}

/** Teacher-forced CE/accuracy of ArDec (EMA weights) and Dec's accuracy, on clean and denoised validation latents. */
function validate(s: Setup, step: number, trainSec: number): ArDecValRecord {
  const ema = s.optimizer.emaWeights();
  const live = s.model.weights();
  const E: Record<string, tf.Tensor> = {};
  for (const n of s.names) E[n] = tf.tensor(ema.get(n)!.data, ema.get(n)!.shape);
  const W = { ...live, ...E };
  const schedule = makeSchedule(s.model.cfg.schedule);
  const inputs = [{ input: "clean x0", t: 0 }, ...VAL_SNRS.map((snr) => ({ input: `x̂0 @SNR ${snr}`, t: tAtLogSnr(schedule, Math.log(snr)) }))];
  const probes = inputs.map((p) => ({ input: p.input, ce: 0, acc: 0, decAcc: 0 }));
  let rows = 0, counted = 0;
  const hits = probes.map(() => ({ ar: 0, dec: 0 }));
  const L = s.val.length;
  const d = s.model.cfg.latentDim;
  for (let start = 0; start < s.val.count; start += s.cfg.batch) {
    const idx = Array.from({ length: Math.min(s.cfg.batch, s.val.count - start) }, (_, i) => start + i);
    const batch = gatherBatch(s.val, idx);
    const b = batch.batch;
    const eps = gaussianNoise(s.cfg.seed + 1, 0, 1_000_000 + start, b * L * d);
    for (let i = 0; i < b * L; i++) if (batch.tokens[i] !== 0) counted++;
    inputs.forEach((inp, k) => {
      tf.tidy(() => {
        const x0 = s.model.norm.apply(s.model.nets.enc.forward(tf.tensor2d(batch.tokens, [b, L], "int32"), W)) as tf.Tensor3D;
        const z = inp.t === 0 ? x0 : mixedLatents(s.model, x0, { noisyT: new Float32Array(0), denT: new Float32Array(b).fill(inp.t), eps });
        const { labels, mask } = labelsOf(batch.tokens);
        const logits = tf.reshape(s.model.nets.arDec!.forward(z, tf.tensor2d(shiftRight(batch.tokens, b, L), [b, L], "int32"), W), [b * L, -1]) as tf.Tensor2D;
        probes[k].ce += softmaxCrossEntropy(logits, labels, mask).dataSync()[0] * b;
        const ar = tf.argMax(logits, -1).dataSync();
        const dec = tf.argMax(s.model.nets.dec.forward(z, W), -1).dataSync();
        for (let i = 0; i < b * L; i++) {
          if (batch.tokens[i] === 0) continue;
          if (ar[i] === batch.tokens[i]) hits[k].ar++;
          if (dec[i] === batch.tokens[i]) hits[k].dec++;
        }
      });
    });
    rows += b;
  }
  tf.dispose(Object.values(E));
  const per = counted;
  probes.forEach((p, k) => {
    p.ce /= rows;
    p.acc = hits[k].ar / per;
    p.decAcc = hits[k].dec / per;
  });
  return { kind: "val", step, trainSec, probes };
}

async function save(s: Setup, step: number, trainSec: number): Promise<void> {
  const opt = s.optimizer.state();
  const last = s.lastTrain;
  await saveCheckpoint(join(s.cfg.out, "checkpoint"), {
    modelConfig: s.model.cfg,
    vocabulary: s.tokenizer.toJSON(),
    trainConfig: { ...s.cfg, resume: false, stage: "ar-decoder" } as Record<string, unknown>,
    step,
    weights: s.model.snapshot(),
    ema: opt.ema,
    adamM: opt.m,
    adamV: opt.v,
    norm: s.model.norm.state(),
    losses: { train: { ...(last ?? {}), trainSec } },
    extra: { ardec: { rng: s.rng.state(), data: s.sampler.position, history: s.history } },
  });
}

async function plot(s: Setup): Promise<void> {
  const val = s.history;
  if (val.length < 1) return;
  const series = val[0].probes.flatMap((p, k) => [
    { name: `ArDec ${p.input}`, points: val.map((r) => [r.step, 100 * r.probes[k].acc] as [number, number]) },
    { name: `Dec ${p.input}`, points: val.map((r) => [r.step, 100 * r.probes[k].decAcc] as [number, number]) },
  ]);
  await writeLineChart(join(s.cfg.out, "acc"), { title: "Token accuracy, teacher-forced ArDec vs Dec", xLabel: "step", yLabel: "token accuracy %", series, legendColumns: 4 });
}

export interface ArDecSummary { out: string; steps: number; stopped: "done" | "signal"; seconds: number; lastVal?: ArDecValRecord }

/** The stage's loop: batch → mixed latents → ArDec step → EMA → validate / checkpoint / stop. */
export async function trainArDecoder(o: ArDecTrainOptions, shouldStop: () => boolean = () => false, print: (l: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<ArDecSummary> {
  const s = await setup(o, print);
  const { cfg } = s;
  const t0 = Date.now();
  const trainSec = () => s.priorSec + (Date.now() - t0) / 1000;
  const progress = new Progress(cfg.steps, cfg.progress);
  let stopped: ArDecSummary["stopped"] = "done";
  const logVal = async (step: number) => {
    const v = validate(s, step, trainSec());
    s.history.push(v);
    await appendFile(join(cfg.out, "log.jsonl"), `${JSON.stringify(v)}\n`);
    progress.log(`[val] step ${step}: ${v.probes.map((p) => `${p.input} ArDec ${(100 * p.acc).toFixed(1)} % (Dec ${(100 * p.decAcc).toFixed(1)} %)`).join(" · ")}`);
    await plot(s).catch((e: unknown) => progress.log(`[plot] not written: ${String(e)}`));
  };
  progress.start(s.startStep);
  try {
    if (s.startStep === 0) await logVal(0);
    let tpsEma = 0;
    for (let step = s.startStep + 1; step <= cfg.steps; step++) {
      const ts = performance.now();
      const r = trainStep(s, step);
      if (!Number.isFinite(r.ce)) throw new Error(`the loss diverged at step ${step}; nothing was written after the last checkpoint; start again with a lower --lr`);
      const tps = (cfg.batch * s.model.cfg.maxLen) / ((performance.now() - ts) / 1000);
      tpsEma = tpsEma === 0 ? tps : 0.9 * tpsEma + 0.1 * tps;
      s.lastTrain = { kind: "train", step, ce: r.ce, lr: learningRate(s.optimizer.cfg, step), gradNorm: r.gradNorm, tokensPerSec: tps, trainSec: trainSec() };
      await appendFile(join(cfg.out, "log.jsonl"), `${JSON.stringify(s.lastTrain)}\n`);
      progress.update(step, { dif: "-", ce: r.ce.toFixed(4), tps: tpsEma.toFixed(0) });
      if (step % cfg.valEvery === 0 || step === cfg.steps) await logVal(step);
      await new Promise((res) => setImmediate(res));
      const stopping = shouldStop();
      if (step % cfg.ckptEvery === 0 || step === cfg.steps || stopping) await save(s, step, trainSec());
      if (stopping) {
        stopped = "signal";
        progress.log(`[stop] checkpoint written at step ${step}; resume with --resume --out ${cfg.out}`);
        break;
      }
    }
  } finally {
    progress.stop();
  }
  const lastVal = s.history.at(-1);
  const summary: ArDecSummary = { out: cfg.out, steps: cfg.steps, stopped, seconds: (Date.now() - t0) / 1000, ...(lastVal ? { lastVal } : {}) };
  await writeFileAtomic(join(cfg.out, "summary.json"), JSON.stringify(summary, null, 2));
  s.optimizer.dispose();
  s.model.dispose();
  return summary;
}
