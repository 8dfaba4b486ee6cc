// The step the bench times: the trainer's own joint step (training/src/train), exactly what
// Trainer.run does per step minus data loading and logging — JointObjective.step (configuration 2,
// self-conditioning on, both gradient sets), AdamW on each set, EMA of the weights.
import type { ModelConfig } from "@ldtext/core";
import { EOS_ID, PAD_ID, gaussianNoise } from "@ldtext/core";
import { LatentDiffusionModel } from "../src/model/model.ts";
import { type Batch, JointObjective, type StepNoise } from "../src/train/objective.ts";
import { AdamW, DEFAULT_OPTIMIZER } from "../src/train/optimizer.ts";

export interface BenchStep {
  /** One full training step on a fixed batch (forward, both gradient sets, optimizer, EMA). */
  run(): { lossDif: number; lossAe: number };
  paramCount: number;
  dispose(): void;
}

export const STEP_SOURCE = "trainer (JointObjective.step + AdamW×2 + EMA)";

/** A batch of random token ids shaped like real text: content, EOS, then PAD (MODEL-SPEC layout). */
function syntheticBatch(cfg: ModelConfig, batchSize: number, seed: number): Batch {
  const len = cfg.maxLen;
  const tokens = new Int32Array(batchSize * len);
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  for (let b = 0; b < batchSize; b++) {
    const textLen = Math.floor(len * (0.6 + 0.39 * next()));
    for (let i = 0; i < len; i++) {
      tokens[b * len + i] = i < textLen ? 3 + Math.floor(next() * (cfg.vocabSize - 3)) : i === textLen ? EOS_ID : PAD_ID;
    }
  }
  return { tokens, batch: batchSize, length: len };
}

export function createReferenceStep(cfg: ModelConfig, batchSize: number, seed = 1): BenchStep {
  const model = LatentDiffusionModel.create(cfg, seed);
  const objective = new JointObjective(model);
  const optimizer = new AdamW(model, { ...DEFAULT_OPTIMIZER, lr: 5e-4, totalSteps: 10_000 });
  const batch = syntheticBatch(cfg, batchSize, seed);
  const t = Float32Array.from({ length: batchSize }, (_, i) => 0.05 + (0.9 * (i + 0.5)) / batchSize);
  let step = 0;
  return {
    paramCount: model.parameterCount(),
    run() {
      step += 1;
      const noise: StepNoise = { t, eps: gaussianNoise(seed, step, 0, batchSize * cfg.maxLen * cfg.latentDim), selfCond: true };
      const r = objective.step(batch, noise, { lossConfig: 2, coupling: 1, want: { dif: true, ae: true } });
      optimizer.apply(r.difGrads, step);
      optimizer.apply(r.aeGrads, step);
      optimizer.updateEma(step);
      return { lossDif: r.losses.dif, lossAe: r.losses.ae };
    },
    dispose() {
      optimizer.dispose();
      model.dispose();
    },
  };
}
