// AdamW (decoupled weight decay, Loshchilov & Hutter 2019) with linear warm-up and cosine decay,
// per-group global-norm gradient clipping, and an EMA of the weights. Moments and EMA are kept as
// non-trainable variables updated with `assign` (new tensors each step: backends that cache packed
// weights by tensor id, like XNNPACK, never see stale data).
import * as tf from "@tensorflow/tfjs";
import type { FloatWeights } from "@ldtext/core";
import type { LatentDiffusionModel } from "../model/model.ts";
import { adamwStep, emaStep, sumOfSquares } from "../model/kernels.ts";

export interface OptimizerConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global-norm clip per gradient set (0 = off). */
  clipNorm: number;
  warmupSteps: number;
  totalSteps: number;
  /** Cosine decay floor as a fraction of lr. */
  minLrRatio: number;
  emaDecay: number;
}

export const DEFAULT_OPTIMIZER: Omit<OptimizerConfig, "lr" | "totalSteps"> = {
  beta1: 0.9,
  beta2: 0.99,
  eps: 1e-8,
  weightDecay: 0.01,
  clipNorm: 1,
  warmupSteps: 200,
  minLrRatio: 0.1,
  emaDecay: 0.999,
};

/** Learning rate at 1-based update `step`: linear warm-up, then cosine to minLrRatio·lr. */
export function learningRate(cfg: OptimizerConfig, step: number): number {
  const warm = Math.max(1, cfg.warmupSteps);
  if (step <= warm) return (cfg.lr * step) / warm;
  const progress = Math.min(1, (step - warm) / Math.max(1, cfg.totalSteps - warm));
  const floor = cfg.lr * cfg.minLrRatio;
  return floor + 0.5 * (cfg.lr - floor) * (1 + Math.cos(Math.PI * progress));
}

export class AdamW {
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  readonly ema = new Map<string, tf.Variable>();

  constructor(readonly model: LatentDiffusionModel, readonly cfg: OptimizerConfig) {
    for (const name of model.names) {
      const p = model.vars.get(name)!;
      this.m.set(name, tf.variable(tf.zeros(p.shape), false));
      this.v.set(name, tf.variable(tf.zeros(p.shape), false));
      this.ema.set(name, tf.variable(p.clone(), false));
    }
  }

  /**
   * One AdamW update of the weights named in `grads` (others untouched: no decay either), `step`
   * 1-based. Disposes the gradients. Returns the gradient norm before clipping.
   */
  apply(grads: Map<string, tf.Tensor>, step: number): number {
    if (grads.size === 0) return 0;
    const c = this.cfg;
    const lr = learningRate(c, step);
    const names = [...grads.keys()];
    const norm = Math.sqrt(tf.tidy(() => tf.addN(names.map((n) => sumOfSquares(grads.get(n)!))).dataSync()[0]));
    const gradScale = c.clipNorm > 0 && norm > c.clipNorm ? c.clipNorm / (norm + 1e-6) : 1;
    const biasCorrection1 = 1 - Math.pow(c.beta1, step);
    const biasCorrection2 = 1 - Math.pow(c.beta2, step);
    for (const name of names) {
      const p = this.model.vars.get(name)!;
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      // Decay matrices only (not norm gains, biases, the null condition).
      const weightDecay = p.rank >= 2 ? c.weightDecay : 0;
      const r = adamwStep(p, grads.get(name)!, m, v, { lr, beta1: c.beta1, beta2: c.beta2, eps: c.eps, weightDecay, biasCorrection1, biasCorrection2, gradScale });
      p.assign(r.p);
      m.assign(r.m);
      v.assign(r.v);
      tf.dispose([r.p, r.m, r.v]);
    }
    tf.dispose([...grads.values()]);
    return norm;
  }

  /**
   * EMA of the weights; the decay ramps up as (1 + step) / (10 + step) early on. `names`: the weights
   * that can change (a frozen network's EMA already equals its weights, so it is skipped).
   */
  updateEma(step: number, names: readonly string[] = this.model.names): void {
    const decay = Math.min(this.cfg.emaDecay, (1 + step) / (10 + step));
    for (const name of names) {
      const e = this.ema.get(name)!;
      const next = emaStep(e, this.model.vars.get(name)!, decay);
      e.assign(next);
      next.dispose();
    }
  }

  private read(map: Map<string, tf.Variable>): FloatWeights {
    const out: FloatWeights = new Map();
    for (const name of this.model.names) {
      const t = map.get(name)!;
      out.set(name, { shape: [...t.shape], data: Float32Array.from(t.dataSync() as Float32Array) });
    }
    return out;
  }

  /** The EMA weights alone (for sampling). */
  emaWeights(): FloatWeights {
    return this.read(this.ema);
  }

  state(): { m: FloatWeights; v: FloatWeights; ema: FloatWeights } {
    return { m: this.read(this.m), v: this.read(this.v), ema: this.read(this.ema) };
  }

  load(s: { m: FloatWeights; v: FloatWeights; ema?: FloatWeights }): void {
    const put = (map: Map<string, tf.Variable>, src: FloatWeights) => {
      for (const name of this.model.names) {
        const wt = src.get(name);
        if (!wt) throw new Error(`optimizer state lacks "${name}"`);
        tf.tidy(() => map.get(name)!.assign(tf.tensor(wt.data, wt.shape)));
      }
    };
    put(this.m, s.m);
    put(this.v, s.v);
    if (s.ema) put(this.ema, s.ema);
  }

  dispose(): void {
    for (const map of [this.m, this.v, this.ema]) {
      for (const t of map.values()) t.dispose();
      map.clear();
    }
  }
}
