// One joint training step's losses and gradients (METHOD.md §2, configurations 1/2/3).
//
// Gradient routing: the two losses need gradients for disjoint variable sets from one forward.
// Chosen construction: two `tf.variableGrads` calls, each restricted to its own variables.
//   AE call  (Enc, Dec):    x0 = Normalize(Enc(w)), x_t = α x0 + σ ε, x̂0 = Dif(x_t, sc, t) with Dif's
//                           variables outside the variable list → TF.js prunes their weight-gradient
//                           matmuls; the gradient still flows through Dif's activations to Enc.
//   DIF call (Dif, CondEnc): x̂0 = Dif(SG x_t, SG sc, t) on the AE call's detached values.
// Cost equals the alternative (one variableGrads of L_dif + L_ae with a second Dif pass on
// stop-gradient weight copies): both run Dif forward twice and backward once with weight gradients
// and once without. This one needs no per-step copy of Dif's weights (copies would also defeat the
// packed-weight cache of XNNPACK, keyed by tensor id) and makes "L_ae cannot move Dif" structural.
// Measured (small preset, batch 8, length 64, configuration 2, wasm + OpenBLAS, median of 4 on a
// machine shared with other jobs, load ≈ 13): one call with weight copies 4.08 s, two restricted
// calls 3.88 s — equal within noise, so the simpler routing guarantee decided.
// The self-conditioning first pass runs on a detached x_t, so the tape prunes it entirely.
import * as tf from "@tensorflow/tfjs";
import { type NoiseSchedule, makeSchedule } from "@ldtext/core";
import type { LatentDiffusionModel } from "../model/model.ts";
import type { Weights } from "../model/layers.ts";
import { softmaxCrossEntropy } from "../model/kernels.ts";

/**
 * The preprint's loss configuration 1, 2 or 3 (the train option `--config`, `config` in a
 * checkpoint's train config): which losses reach the encoder and decoder. Not a model config.
 */
export type LossConfigId = 1 | 2 | 3;

export interface Batch {
  /** `[B·L]` token ids (MODEL-SPEC layout). */
  tokens: Int32Array;
  batch: number;
  length: number;
  /** Summarization: document tokens `[B·S]` and mask `[B·S]` (1 real, 0 PAD). */
  cond?: { tokens: Int32Array; mask: Float32Array; length: number };
  /**
   * `[B·L·d]` encoder outputs e (before Normalize) of a frozen encoder, precomputed once for the
   * split (--freeze-ae): the step then skips Enc. Only valid while Enc does not change.
   */
  encodings?: Float32Array;
  /** `[B·S·Dc]` outputs of a frozen condition encoder for `cond` (--freeze-cond): the step skips CondEnc. */
  condFeatures?: Float32Array;
}

/** Every random draw of one step, fixed before the step runs (so resume replays it exactly). */
export interface StepNoise {
  t: Float32Array;
  eps: Float32Array;
  selfCond: boolean;
  /** Summarization: 1 keeps the row's document, 0 replaces it by the null condition. */
  condKeep?: Float32Array;
  /**
   * Configuration 3 decoder-input noise for the first k = decT.length rows (k ≤ B): their small t
   * and ε `[k·L·d]`. A subset of rows keeps the extra decoder pass cheap.
   */
  decT?: Float32Array;
  decEps?: Float32Array;
}

export interface ObjectiveOptions {
  lossConfig: LossConfigId;
  /** Diffusion→encoder coupling λ ∈ [0, 1] (configuration 3 warm-up; 1 otherwise). */
  coupling: number;
  /** Which gradient sets to compute (tests run one loss alone). */
  want: { dif: boolean; ae: boolean };
}

export interface StepLosses {
  /** L_dif = ‖x0 − x̂0‖² (mean over positions and features). */
  dif: number;
  /** CE(w, Dec(x̂0)); absent while the configuration-3 warm-up has the coupling at 0. */
  ce?: number;
  /** ‖x0 − SG x̂0‖² (configurations 2, 3). */
  align?: number;
  /** CE(w, Dec(x0)) during the configuration-3 warm-up. */
  ceClean?: number;
  /** CE of the decoder on noised x0 (configuration 3). */
  ceNoisy?: number;
  /** The total encoder/decoder loss. */
  ae: number;
}

export interface StepResult {
  losses: StepLosses;
  /** Gradients by spec weight name; only the requested sets. */
  difGrads: Map<string, tf.Tensor>;
  aeGrads: Map<string, tf.Tensor>;
  /** Per-row L_dif (adaptive timestep sampling). */
  difPerRow: Float32Array;
}

/** A value gradients do not flow back through and that the tape prunes (a fresh tensor). */
export function detach<T extends tf.Tensor>(x: T): T {
  return tf.tensor(x.dataSync(), x.shape, x.dtype) as T;
}

function rowScale(values: Float32Array, fn: (t: number) => number): tf.Tensor3D {
  return tf.tensor3d(Float32Array.from(values, fn), [values.length, 1, 1]);
}

function mse(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.mean(tf.square(tf.sub(a, b)));
}

/** `[B]` L_dif of each row: ‖x0 − x̂0‖² averaged over positions and features. */
function difRows(x0: tf.Tensor3D, xhat: tf.Tensor3D): tf.Tensor1D {
  return tf.mean(tf.square(tf.sub(x0, xhat)), [1, 2]);
}

export class JointObjective {
  readonly schedule: NoiseSchedule;
  /** What L_dif trains: Dif and CondEnc, or (trainCondEncoder false) Dif and only CondEnc's null condition. */
  private readonly difVars: tf.Variable[];
  /** What the decoder losses train: Enc and Dec, or (trainEncoder false, --decoder-only) Dec alone. */
  private readonly aeVars: tf.Variable[];
  private readonly trainsEncoder: boolean;
  constructor(readonly model: LatentDiffusionModel, opts: { trainCondEncoder?: boolean; trainEncoder?: boolean } = {}) {
    this.schedule = makeSchedule(model.cfg.schedule);
    this.trainsEncoder = opts.trainEncoder !== false;
    this.aeVars = this.trainsEncoder ? model.variablesOf("enc", "dec") : model.variablesOf("dec");
    const nullCond = model.vars.get("cond.null");
    this.difVars = opts.trainCondEncoder === false ? [...model.variablesOf("dif"), ...(nullCond ? [nullCond] : [])] : model.variablesOf("dif", "cond");
  }

  /** `[B, S, Dc]`, `[B, S]`: the condition, with dropped rows replaced by `[cond.null]` (mask `[1, 0, …]`). */
  condition(batch: Batch, keep: Float32Array | undefined): { cond: tf.Tensor3D; mask: tf.Tensor2D } {
    const { condEnc } = this.model.nets;
    if (!condEnc || !batch.cond) throw new Error("a summarization batch needs a condition encoder and documents");
    const b = batch.batch;
    const s = batch.cond.length;
    const W = this.model.weights();
    const tokens = tf.tensor2d(batch.cond.tokens, [b, s], "int32");
    const docMask = tf.tensor2d(batch.cond.mask, [b, s]);
    const enc = batch.condFeatures ? tf.tensor3d(batch.condFeatures, [b, s, condEnc.cfg.dModel]) : condEnc.forward(tokens, docMask, W);
    if (!keep) return { cond: enc, mask: docMask };
    const k = tf.tensor3d(keep, [b, 1, 1]);
    const first = new Float32Array(s);
    first[0] = 1;
    const nullRow = tf.mul(tf.tensor3d(first, [1, s, 1]), tf.reshape(condEnc.nullCondition(W), [1, 1, -1]));
    const cond = tf.add(tf.mul(enc, k), tf.mul(nullRow, tf.sub(1, k))) as tf.Tensor3D;
    const k2 = tf.reshape(k, [b, 1]);
    const mask = tf.add(tf.mul(docMask, k2), tf.mul(tf.tensor2d(first, [1, s]), tf.sub(1, k2))) as tf.Tensor2D;
    return { cond, mask };
  }

  // The forward pieces of L_dif and the decoder losses, shared by the step and validation (the same
  // ops in the same order, so both see the same numbers).

  /** Enc outputs e (before Normalize): a frozen encoder's cached encodings, or Enc(tokens). */
  encode(batch: Batch, tokens: tf.Tensor2D, W: Weights): tf.Tensor3D {
    return batch.encodings ? tf.tensor3d(batch.encodings, [batch.batch, batch.length, this.model.cfg.latentDim]) : this.model.nets.enc.forward(tokens, W);
  }

  /** α(t) and σ(t) of each row, as `[B, 1, 1]` scales. */
  rowScales(t: Float32Array): { alpha: tf.Tensor3D; sigma: tf.Tensor3D } {
    return { alpha: rowScale(t, (v) => this.schedule.alpha(v)), sigma: rowScale(t, (v) => this.schedule.sigma(v)) };
  }

  /** x_t = α x0 + σ ε. */
  noised(x0: tf.Tensor3D, alpha: tf.Tensor3D, sigma: tf.Tensor3D, eps: tf.Tensor3D): tf.Tensor3D {
    return tf.add(tf.mul(alpha, x0), tf.mul(sigma, eps)) as tf.Tensor3D;
  }

  /** x̂0 = Dif(x_t, sc, t), conditioned on `cond` (summarization). */
  denoise(xt: tf.Tensor3D, xsc: tf.Tensor3D, t: tf.Tensor1D, cond: { cond: tf.Tensor3D; mask: tf.Tensor2D } | null, W: Weights): tf.Tensor3D {
    return this.model.nets.dif.forward({ xt, xsc, t, ...(cond ? { cond: cond.cond, condMask: cond.mask } : {}) }, W);
  }

  /** Dec(latents) as `[B·L, V]` logits. */
  logits(latents: tf.Tensor3D, W: Weights): tf.Tensor2D {
    return tf.reshape(this.model.nets.dec.forward(latents, W), [-1, this.model.cfg.vocabSize]) as tf.Tensor2D;
  }

  /** Losses and gradients of one step; call inside no tidy (it manages its own memory). */
  step(batch: Batch, noise: StepNoise, opts: ObjectiveOptions): StepResult {
    const { model } = this;
    const W = model.weights();
    const b = batch.batch;
    const len = batch.length;
    const d = model.cfg.latentDim;
    const lambda = opts.lossConfig === 3 ? opts.coupling : 1;
    const losses: StepLosses = { dif: NaN, ae: NaN };
    const aeGrads = new Map<string, tf.Tensor>();
    const difGrads = new Map<string, tf.Tensor>();
    let difPerRow = new Float32Array(b);

    // Values shared by the two calls, detached (kept across the calls, disposed at the end).
    let kept: { x0: tf.Tensor3D; xt: tf.Tensor3D; xsc: tf.Tensor3D } | null = null;
    const tokens = tf.tensor2d(batch.tokens, [b, len], "int32");
    const labels = tf.reshape(tokens, [-1]) as tf.Tensor1D;
    const t = tf.tensor1d(noise.t);
    const { alpha, sigma } = this.rowScales(noise.t);
    const eps = tf.tensor3d(noise.eps, [b, len, d]);
    // The condition as the frozen Dif pass sees it: computed outside any tape (CondEnc learns from L_dif only).
    const frozenCond = model.nets.condEnc ? tf.tidy(() => this.condition(batch, noise.condKeep)) : null;

    const forwardLatents = (): tf.Tensor3D => {
      const x0 = model.norm.train(this.encode(batch, tokens, W), tokens);
      const xtD = detach(this.noised(x0, alpha, sigma, eps));
      let xsc = tf.zerosLike(xtD);
      if (noise.selfCond) xsc = detach(this.denoise(xtD, xsc, t, frozenCond, W));
      kept = { x0: tf.keep(detach(x0)), xt: tf.keep(xtD), xsc: tf.keep(xsc) };
      return x0;
    };

    const { trainsEncoder } = this;
    if (opts.want.ae && trainsEncoder && batch.encodings) throw new Error("cached encodings are for a frozen encoder: a step that trains Enc must encode");
    if (opts.want.ae) {
      const aeVars = this.aeVars;
      const r = tf.variableGrads(() => {
        const x0 = forwardLatents();
        const xt = this.noised(x0, alpha, sigma, eps);
        const terms: tf.Scalar[] = [];
        const ceOf = (latents: tf.Tensor3D) => softmaxCrossEntropy(this.logits(latents, W), labels);
        if (lambda > 0) {
          const xhat = this.denoise(xt, kept!.xsc, t, frozenCond, W);
          // Dif frozen (--decoder-only): this pass is the step's L_dif too, no second one below.
          if (!opts.want.dif) {
            const rows = difRows(kept!.x0, xhat);
            difPerRow = Float32Array.from(rows.dataSync() as Float32Array);
            losses.dif = tf.mean(rows).dataSync()[0];
          }
          const ce = ceOf(xhat);
          losses.ce = ce.dataSync()[0];
          terms.push(lambda === 1 ? ce : tf.mul(ce, lambda));
          if (opts.lossConfig >= 2 && trainsEncoder) {
            const align = mse(x0, detach(xhat));
            losses.align = align.dataSync()[0];
            terms.push(lambda === 1 ? align : tf.mul(align, lambda));
          }
        }
        if (lambda < 1) {
          const ceClean = ceOf(x0);
          losses.ceClean = ceClean.dataSync()[0];
          terms.push(tf.mul(ceClean, 1 - lambda));
        }
        if ((opts.lossConfig === 3 || !trainsEncoder) && noise.decT && noise.decEps) {
          const k = noise.decT.length;
          const { alpha: a, sigma: s } = this.rowScales(noise.decT);
          const x0k = k === b ? x0 : tf.slice(x0, [0, 0, 0], [k, len, d]);
          const noisy = this.noised(x0k, a, s, tf.tensor3d(noise.decEps, [k, len, d]));
          const labelsK = k === b ? labels : (tf.slice(labels, [0], [k * len]) as tf.Tensor1D);
          const ceNoisy = softmaxCrossEntropy(this.logits(noisy, W), labelsK);
          losses.ceNoisy = ceNoisy.dataSync()[0];
          terms.push(ceNoisy);
        }
        return tf.addN(terms) as tf.Scalar;
      }, aeVars);
      losses.ae = r.value.dataSync()[0];
      r.value.dispose();
      for (const [varName, g] of Object.entries(r.grads)) aeGrads.set(model.byVarName.get(varName)!, g);
    } else {
      tf.tidy(() => {
        forwardLatents();
      });
    }

    const k = kept as unknown as { x0: tf.Tensor3D; xt: tf.Tensor3D; xsc: tf.Tensor3D };
    if (opts.want.dif) {
      const difVars = this.difVars;
      let perRow: tf.Tensor | null = null;
      const r = tf.variableGrads(() => {
        const c = model.nets.condEnc ? this.condition(batch, noise.condKeep) : null;
        const xhat = this.denoise(k.xt, k.xsc, t, c, W);
        const rows = difRows(k.x0, xhat);
        perRow = tf.keep(detach(rows));
        return tf.mean(rows) as tf.Scalar;
      }, difVars);
      losses.dif = r.value.dataSync()[0];
      difPerRow = Float32Array.from(perRow!.dataSync() as Float32Array);
      tf.dispose([r.value, perRow!]);
      for (const [varName, g] of Object.entries(r.grads)) difGrads.set(model.byVarName.get(varName)!, g);
    } else if (!opts.want.ae || lambda === 0) {
      // Report L_dif even when only the AE gradient is wanted.
      tf.tidy(() => {
        const c = model.nets.condEnc ? this.condition(batch, noise.condKeep) : null;
        const xhat = this.denoise(k.xt, k.xsc, t, c, W);
        const rows = difRows(k.x0, xhat);
        difPerRow = Float32Array.from(rows.dataSync() as Float32Array);
        losses.dif = tf.mean(rows).dataSync()[0];
      });
    }
    tf.dispose([k.x0, k.xt, k.xsc, tokens, labels, t, alpha, sigma, eps]);
    if (frozenCond) tf.dispose([frozenCond.cond, frozenCond.mask]);
    if (!opts.want.ae) losses.ae = NaN;
    return { losses, difGrads, aeGrads, difPerRow };
  }
}
