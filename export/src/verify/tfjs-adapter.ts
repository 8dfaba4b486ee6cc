// Adapts @ldtext/training's `buildNetworks` (TF.js forwards over checkpoint weights) to the verifier's
// ReferenceForward interface: plain arrays in, plain arrays out, every tensor disposed.
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "@ldtext/core";
import type { NormState, WeightMap } from "@ldtext/core";
import type { buildNetworks } from "@ldtext/training";
import type { Tensor64 } from "../reference/forward.ts";
import type { ReferenceForward } from "./reference.ts";

const t3 = (x: Tensor64): tf.Tensor3D => tf.tensor3d(Float32Array.from(x.data), x.shape as [number, number, number]);
const t2 = (x: Tensor64): tf.Tensor2D => tf.tensor2d(Float32Array.from(x.data), x.shape as [number, number]);
const ids2 = (ids: number[], rows: number, cols: number): tf.Tensor2D => tf.tensor2d(Int32Array.from(ids), [rows, cols], "int32");

/** Runs `f` on fresh input tensors and returns the output's values, disposing everything. */
function run(inputs: tf.Tensor[], f: () => tf.Tensor): Float32Array {
  try {
    const out = f();
    const data = out.dataSync() as Float32Array;
    out.dispose();
    return data;
  } finally {
    tf.dispose(inputs);
  }
}

export function tfjsAdapter(build: typeof buildNetworks, cfg: ModelConfig, weights: WeightMap, norm: NormState): ReferenceForward {
  const nets = build(cfg, new Map(weights), norm);
  return {
    kind: "tfjs",
    encode: async (tokens, B, L) => {
      const x = ids2(tokens, B, L);
      return run([x], () => nets.encode(x));
    },
    denoise: async (xt, xsc, t, cond) => {
      const ins: tf.Tensor[] = [t3(xt), t3(xsc), tf.tensor1d(t)];
      if (cond) ins.push(t3(cond.cond), t2(cond.mask));
      const [a, b, tt, c, m] = ins;
      return run(ins, () => nets.denoise(a as tf.Tensor3D, b as tf.Tensor3D, tt as tf.Tensor1D, c as tf.Tensor3D | undefined, m as tf.Tensor2D | undefined));
    },
    decode: async (latents) => {
      const x = t3(latents);
      return run([x], () => nets.decode(x));
    },
    encodeCondition: async (tokens, mask) => {
      const [B, S] = mask.shape;
      const x = ids2(tokens, B, S);
      const m = t2(mask);
      return run([x, m], () => nets.encodeCondition(x, m));
    },
    arDecode: async (latents, tokens, T) => {
      const x = t3(latents);
      const prev = ids2(tokens, latents.shape[0], T);
      return run([x, prev], () => nets.arDecode(x, prev));
    },
    dispose: () => nets.dispose(),
  };
}
