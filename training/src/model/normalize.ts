// Normalize (docs/MODEL-SPEC.md "Normalization", METHOD.md §3): e [B, L, d] → x0. The running
// statistics of `data` and `batch` are non-trainable state (JS Float32Arrays: no gradient can flow
// through them, they serialize exactly, and the EMA update is the formula, not an optimizer step).
import * as tf from "@tensorflow/tfjs";
import type { NormKind, NormState } from "@ldtext/core";
import { PAD_ID } from "@ldtext/core";

const EPS = 1e-5;

export class Normalizer {
  mean: Float32Array | null = null;
  sq: Float32Array | null = null;
  /**
   * Statistics fixed (train() normalizes as inference does): set by --decoder-only, whose frozen
   * denoiser was trained on latents normalized by exactly these statistics.
   */
  frozen = false;

  constructor(readonly kind: NormKind, readonly latentDim: number, readonly alpha: number) {}

  get stateful(): boolean {
    return this.kind === "data" || this.kind === "batch";
  }

  /**
   * Training forward: for `data` / `batch` first updates the running statistics from this batch
   * (`data`: non-PAD positions of `tokens`; initialised from the first batch), then normalizes
   * (`data` with the updated running statistics, `batch` with the batch's own statistics).
   */
  train(e: tf.Tensor3D, tokens: tf.Tensor2D): tf.Tensor3D {
    if (this.frozen && this.stateful) return this.apply(e);
    switch (this.kind) {
      case "sphere":
      case "layer":
        return this.apply(e);
      case "data": {
        const [m1, m2] = tf.tidy(() => {
          const mask = tf.expandDims(tf.cast(tf.notEqual(tokens, PAD_ID), "float32"), -1);
          const count = tf.maximum(tf.sum(mask), 1);
          return [tf.div(tf.sum(tf.mul(e, mask), [0, 1]), count), tf.div(tf.sum(tf.mul(tf.square(e), mask), [0, 1]), count)];
        });
        this.update(m1.dataSync() as Float32Array, m2.dataSync() as Float32Array);
        tf.dispose([m1, m2]);
        return this.apply(e);
      }
      case "batch": {
        const mb = tf.mean(e, [0, 1]);
        const centered = tf.sub(e, mb);
        const vb = tf.mean(tf.square(centered), [0, 1]);
        const sqb = tf.tidy(() => tf.mean(tf.square(e), [0, 1]));
        this.update(mb.dataSync() as Float32Array, sqb.dataSync() as Float32Array);
        sqb.dispose();
        return tf.div(centered, tf.sqrt(tf.add(vb, EPS))) as tf.Tensor3D;
      }
    }
  }

  /** Inference forward (stored statistics for `data` / `batch`). */
  apply(e: tf.Tensor3D): tf.Tensor3D {
    switch (this.kind) {
      case "sphere": {
        const norm = tf.sqrt(tf.sum(tf.square(e), -1, true));
        return tf.mul(tf.div(e, tf.maximum(norm, 1e-6)), Math.sqrt(this.latentDim)) as tf.Tensor3D;
      }
      case "layer": {
        const mu = tf.mean(e, -1, true);
        const c = tf.sub(e, mu);
        return tf.div(c, tf.sqrt(tf.add(tf.mean(tf.square(c), -1, true), EPS))) as tf.Tensor3D;
      }
      case "data":
      case "batch": {
        if (!this.mean || !this.sq) throw new Error(`${this.kind} normalization has no statistics yet (train a batch or load a checkpoint)`);
        const mu = tf.tensor1d(this.mean);
        const q = tf.tensor1d(this.sq);
        return tf.div(tf.sub(e, mu), tf.sqrt(tf.add(tf.sub(q, tf.square(mu)), EPS))) as tf.Tensor3D;
      }
    }
  }

  /** `μ ← μ + α(x̄ − μ)`, `q ← q + α(ȳ − q)`; the first batch initialises μ = x̄, q = ȳ. */
  update(batchMean: Float32Array, batchSq: Float32Array): void {
    if (!this.mean || !this.sq) {
      this.mean = Float32Array.from(batchMean);
      this.sq = Float32Array.from(batchSq);
      return;
    }
    const a = this.alpha;
    for (let i = 0; i < this.latentDim; i++) {
      this.mean[i] = this.mean[i] + a * (batchMean[i] - this.mean[i]);
      this.sq[i] = this.sq[i] + a * (batchSq[i] - this.sq[i]);
    }
  }

  state(): NormState {
    return { kind: this.kind, ...(this.mean ? { mean: Float32Array.from(this.mean) } : {}), ...(this.sq ? { sq: Float32Array.from(this.sq) } : {}) };
  }

  load(s: NormState): void {
    if (s.kind !== this.kind) throw new Error(`normalization state is ${s.kind}, model uses ${this.kind}`);
    this.mean = s.mean ? Float32Array.from(s.mean) : null;
    this.sq = s.sq ? Float32Array.from(s.sq) : null;
  }
}
