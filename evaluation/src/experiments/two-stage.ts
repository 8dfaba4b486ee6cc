// Stage 2 of the separately-trained baseline (the TEncDM / LD4LG recipe the preprint compares
// against): the autoencoder of a stage-1 checkpoint is frozen and only the diffusion model is
// trained, on the frozen encoder's normalised encodings, with the project's JointObjective
// (`want: { dif: true, ae: false }`) and AdamW. Why not the trainer's `--init-from … --freeze-ae`
// (added later, for the shipped generate model's second stage): the baseline freezes stage 1's EMA
// weights (what an export of stage 1 ships) and samples t uniformly, as the separately-trained
// recipes do, while the trainer continues from raw weights with configuration 3's adaptive t; the
// committed Table 3/4 rows were measured with this loop.
//
// Stage 1 is the trainer itself with configuration 3's warm-up stretched over the whole run
// (coupling 0: the decoder reads clean encodings, a plain autoencoder; Dif learns alongside and is
// kept as the warm start of stage 2). The two stages together get the joint runs' step budget.
import * as tf from "@tensorflow/tfjs";
import { appendFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CompactTokenizer, SeededRandom, gaussianNoise, loadCheckpoint, saveCheckpoint, writeFileAtomic } from "@ldtext/core";
import {
  AdamW,
  BatchSampler,
  DEFAULT_OPTIMIZER,
  JointObjective,
  LatentDiffusionModel,
  initBackend,
  loadCorpus,
  tokenizeSplit,
  type StepNoise,
} from "@ldtext/training";
import { progressBar } from "../progress.ts";

export interface FrozenAeOptions {
  /** Stage-1 training folder (holding checkpoint/). */
  from: string;
  out: string;
  steps: number;
  data: string;
  batch: number;
  lr: number;
  maxTrain?: number;
  seed?: number;
  tMin?: number;
  selfCondProb?: number;
  condDropout?: number;
  progress?: boolean;
}

/** Trains Dif only, Enc/Dec (and CondEnc? no: it is trained by the diffusion loss) frozen; writes `<out>/checkpoint` and `<out>/log.jsonl`. */
export async function trainDiffusionOnFrozenAe(o: FrozenAeOptions): Promise<{ steps: number; lastDif: number }> {
  await initBackend("auto", { log: null });
  const stage1 = await loadCheckpoint(o.from);
  const cfg = stage1.modelConfig;
  const seed = o.seed ?? 0;
  // The stage-1 EMA weights are what an export of stage 1 would ship: freeze those.
  const model = new LatentDiffusionModel(cfg, stage1.ema ?? stage1.weights);
  model.norm.load(stage1.norm);
  // A fresh AdamW: its EMA starts at these weights, so the frozen networks' EMA stays exactly them.
  const optimizer = new AdamW(model, { ...DEFAULT_OPTIMIZER, lr: o.lr, totalSteps: o.steps, warmupSteps: Math.min(500, Math.ceil(o.steps * 0.05)) });
  const task = cfg.task;
  const corpus = await loadCorpus(task, o.data, o.maxTrain !== undefined ? { maxTrain: o.maxTrain } : {});
  const tok = CompactTokenizer.fromJSON(stage1.vocabulary);
  const split = tokenizeSplit(tok, corpus.train, cfg.maxLen, cfg.condMaxLen);
  tok.free();
  const sampler = new BatchSampler(split, o.batch, seed + 17);
  const rng = new SeededRandom(seed + 17);
  const objective = new JointObjective(model);
  const tMin = o.tMin ?? 1e-5;
  await mkdir(o.out, { recursive: true });
  const logPath = join(o.out, "log.jsonl");
  await writeFile(logPath, "");
  const bar = progressBar("stage-2 dif", o.steps, o.progress !== false);
  let lastDif = NaN;
  // The trainable set of stage 2: Dif, plus CondEnc for summarization (it only learns through L_dif).
  const trainable = model.namesOf("dif", "cond");
  const isTrainable = new Set(trainable);
  for (let step = 1; step <= o.steps; step++) {
    const batch = sampler.next();
    const b = batch.batch;
    const n = b * batch.length * cfg.latentDim;
    const noise: StepNoise = {
      t: Float32Array.from({ length: b }, () => tMin + (1 - tMin) * rng.nextFloat()),
      eps: gaussianNoise(seed + 17, step, 0, n),
      selfCond: rng.nextFloat() < (o.selfCondProb ?? 0.5),
    };
    if (batch.cond) noise.condKeep = Float32Array.from({ length: b }, () => (rng.nextFloat() < (o.condDropout ?? 0.1) ? 0 : 1));
    const r = objective.step(batch, noise, { lossConfig: 1, coupling: 1, want: { dif: true, ae: false } });
    for (const [name, g] of r.difGrads) {
      if (!isTrainable.has(name)) {
        g.dispose();
        r.difGrads.delete(name);
      }
    }
    optimizer.apply(r.difGrads, step);
    tf.dispose([...r.aeGrads.values()]);
    optimizer.updateEma(step, trainable);
    lastDif = r.losses.dif;
    await appendFile(logPath, `${JSON.stringify({ kind: "train", step, dif: r.losses.dif })}\n`);
    bar.update(step, `dif ${lastDif.toFixed(4)}`);
  }
  bar.stop();
  const opt = optimizer.state();
  await saveCheckpoint(join(o.out, "checkpoint"), {
    modelConfig: cfg,
    vocabulary: stage1.vocabulary,
    trainConfig: { ...stage1.trainConfig, stage: 2, stage2Steps: o.steps, frozen: ["enc", "dec"], command: `two-stage baseline: stage 1 ${o.from}, stage 2 ${o.steps} Dif-only steps` },
    step: stage1.step + o.steps,
    weights: model.snapshot(),
    ema: opt.ema,
    adamM: opt.m,
    adamV: opt.v,
    norm: model.norm.state(),
    losses: { train: { dif: lastDif } },
  });
  await writeFileAtomic(join(o.out, "summary.json"), JSON.stringify({ steps: o.steps, lastDif, from: o.from }, null, 2));
  optimizer.dispose();
  model.dispose();
  return { steps: o.steps, lastDif };
}
