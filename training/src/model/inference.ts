// TF.js forwards of a trained model from plain weights (a checkpoint): the reference the ONNX
// exporter's parity check compares against (docs/MODEL-SPEC.md), and what evaluation samples with.
import * as tf from "@tensorflow/tfjs";
import { type FloatWeights, type ModelConfig, type NormState, weightShapes } from "@ldtext/core";
import type { Weights } from "./layers.ts";
import { createNetworks } from "./networks.ts";
import { Normalizer } from "./normalize.ts";

export interface InferenceNetworks {
  readonly modelConfig: ModelConfig;
  /** tokens int32 `[B, L]` → x0 `[B, L, d]` (Enc then Normalize with the stored statistics). */
  encode(tokens: tf.Tensor2D): tf.Tensor3D;
  /** x̂0 `[B, L, d]`; `cond` `[B, S, Dc]` and `condMask` `[B, S]` for conditional models. */
  denoise(xt: tf.Tensor3D, xsc: tf.Tensor3D, t: tf.Tensor1D, cond?: tf.Tensor3D, condMask?: tf.Tensor2D): tf.Tensor3D;
  /** latents `[B, L, d]` → logits `[B, L, V]`. */
  decode(latents: tf.Tensor3D): tf.Tensor3D;
  /** Summarization only: tokens int32 `[B, S]`, mask `[B, S]` → cond `[B, S, Dc]`. */
  encodeCondition(tokens: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor3D;
  /** Summarization only: `cond.null` as `[1, Dc]`. */
  nullCondition(): tf.Tensor2D;
  /**
   * Models with ArDec only: latents `[B, L, d]`, input tokens int32 `[B, T]` (BOS then the tokens so
   * far, T ≤ L) → logits `[B, T, V]` (teacher-forced; position i predicts token i).
   */
  arDecode(latents: tf.Tensor3D, prevTokens: tf.Tensor2D): tf.Tensor3D;
  dispose(): void;
}

/**
 * Forwards over `weights` (MODEL-SPEC names; extra names are ignored). A network whose weights are
 * missing (a serving artifact without the encoder, say) cannot run: calling its forward throws,
 * naming the first missing weight. `norm` is required for `data`/`batch` normalization (the
 * checkpoint's `norm`).
 */
export function buildNetworks(modelConfig: ModelConfig, weights: FloatWeights, norm?: NormState): InferenceNetworks {
  const nets = createNetworks(modelConfig);
  const W: Weights = {};
  const missing = new Map<string, string>(); // network prefix → first missing weight
  for (const [name, shape] of weightShapes(modelConfig)) {
    const wt = weights.get(name);
    if (!wt) {
      const prefix = name.slice(0, name.indexOf("."));
      if (!missing.has(prefix)) missing.set(prefix, name);
      continue;
    }
    if (wt.shape.join(",") !== shape.join(",")) throw new Error(`weight "${name}" has shape [${wt.shape}], the config needs [${shape}]`);
    W[name] = tf.tensor(wt.data, shape);
  }
  const need = (prefix: string) => {
    const name = missing.get(prefix);
    if (name) throw new Error(`weights lack "${name}"`);
  };
  const normalizer = new Normalizer(modelConfig.norm, modelConfig.latentDim, modelConfig.normAlpha);
  if (norm) normalizer.load(norm);
  else if (normalizer.stateful) throw new Error(`${modelConfig.norm} normalization needs its statistics (pass the checkpoint's norm)`);
  const needCond = () => {
    if (!nets.condEnc) throw new Error("this model has no condition encoder (task generate)");
    need("cond");
    return nets.condEnc;
  };
  return {
    modelConfig,
    encode: (tokens) => {
      need("enc");
      return tf.tidy(() => normalizer.apply(nets.enc.forward(tokens, W)));
    },
    denoise: (xt, xsc, t, cond, condMask) => {
      need("dif");
      return tf.tidy(() => nets.dif.forward({ xt, xsc, t, ...(cond ? { cond } : {}), ...(condMask ? { condMask } : {}) }, W));
    },
    decode: (latents) => {
      need("dec");
      return tf.tidy(() => nets.dec.forward(latents, W));
    },
    encodeCondition: (tokens, mask) => tf.tidy(() => needCond().forward(tokens, mask, W)),
    nullCondition: () => tf.tidy(() => needCond().nullCondition(W)),
    arDecode: (latents, prevTokens) => {
      const ard = nets.arDec;
      if (!ard) throw new Error("this model has no ArDec (its config has no arDec)");
      need("ard");
      return tf.tidy(() => ard.forward(latents, prevTokens, W));
    },
    dispose: () => tf.dispose(Object.values(W)),
  };
}
