// The forward an artifact is checked against. Two implementations of one interface: the TF.js
// networks of @ldtext/training (`buildNetworks`, what training actually ran) when that export exists,
// otherwise the plain-JS float64 reference of this package.
import type { ModelConfig } from "@ldtext/core";
import type { WeightMap } from "../onnx/blocks.ts";
import type { NormState } from "../networks/graphs.ts";
import { condEncoderRef, decoderRef, denoiserRef, encoderRef } from "../reference/forward.ts";
import type { Tensor64 } from "../reference/forward.ts";
import type { BuildNetworks } from "./tfjs-adapter.ts";

export interface CondInput {
  cond: Tensor64;
  mask: Tensor64;
}

/** Every method returns a flat row-major array in the graph's output layout. */
export interface ReferenceForward {
  readonly kind: "tfjs" | "js-float64";
  encode(tokens: number[], B: number, L: number): Promise<ArrayLike<number>>;
  denoise(xt: Tensor64, xsc: Tensor64, t: Float32Array, cond?: CondInput): Promise<ArrayLike<number>>;
  decode(latents: Tensor64): Promise<ArrayLike<number>>;
  encodeCondition(tokens: number[], mask: Tensor64): Promise<ArrayLike<number>>;
  dispose?(): void;
}

export function jsReference(cfg: ModelConfig, weights: WeightMap, norm: NormState): ReferenceForward {
  return {
    kind: "js-float64",
    encode: async (tokens, B, L) => encoderRef(cfg, weights, norm, tokens, B, L).data,
    denoise: async (xt, xsc, t, cond) => denoiserRef(cfg, weights, xt, xsc, t, cond).data,
    decode: async (latents) => decoderRef(cfg, weights, latents).data,
    encodeCondition: async (tokens, mask) => condEncoderRef(cfg, weights, tokens, mask).data,
  };
}

/** The TF.js reference when @ldtext/training exports `buildNetworks`, else null. */
export async function tfjsReference(cfg: ModelConfig, weights: WeightMap, norm: NormState, modulePath = "@ldtext/training"): Promise<ReferenceForward | null> {
  let training: Record<string, unknown>;
  try {
    training = (await import(modulePath)) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof training.buildNetworks !== "function") return null;
  const { tfjsAdapter } = await import("./tfjs-adapter.ts");
  return tfjsAdapter(training.buildNetworks as BuildNetworks, cfg, weights, norm);
}

export async function chooseReference(kind: "auto" | "tfjs" | "js", cfg: ModelConfig, weights: WeightMap, norm: NormState): Promise<ReferenceForward> {
  if (kind === "js") return jsReference(cfg, weights, norm);
  const tf = await tfjsReference(cfg, weights, norm);
  if (tf) return tf;
  if (kind === "tfjs") throw new Error("the TF.js reference needs `buildNetworks` from @ldtext/training, which is not available");
  return jsReference(cfg, weights, norm);
}
