// The forward an artifact is checked against. Two implementations of one interface: the TF.js
// networks of @ldtext/training (`buildNetworks`, what training actually ran) when training can be
// loaded, otherwise the plain-JS float64 reference of this package.
import type { ModelConfig } from "@ldtext/core";
import type { buildNetworks } from "@ldtext/training";
import type { NormState, WeightMap } from "@ldtext/core";
import { arDecoderRef, condEncoderRef, decoderRef, denoiserRef, encoderRef } from "../reference/forward.ts";
import type { Tensor64 } from "../reference/forward.ts";

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
  /** ArDec, teacher-forced: latents `[B, L, d]`, input tokens `[B, T]` (BOS first) → logits `[B, T, V]`. */
  arDecode(latents: Tensor64, tokens: number[], T: number): Promise<ArrayLike<number>>;
  dispose?(): void;
}

export function jsReference(cfg: ModelConfig, weights: WeightMap, norm: NormState): ReferenceForward {
  return {
    kind: "js-float64",
    encode: async (tokens, B, L) => encoderRef(cfg, weights, norm, tokens, B, L).data,
    denoise: async (xt, xsc, t, cond) => denoiserRef(cfg, weights, xt, xsc, t, cond).data,
    decode: async (latents) => decoderRef(cfg, weights, latents).data,
    encodeCondition: async (tokens, mask) => condEncoderRef(cfg, weights, tokens, mask).data,
    arDecode: async (latents, tokens, T) => arDecoderRef(cfg, weights, latents, tokens, T).data,
  };
}

/** The TF.js reference, or why it is not available (the reason is reported, never swallowed). */
export type TfjsReference = { ok: true; forward: ReferenceForward } | { ok: false; reason: string };

/**
 * How the verifier reaches training's TF.js networks: @ldtext/training's entry point, imported only
 * when the TF.js reference is asked for, so `--reference js` and everything that imports
 * @ldtext/export (the server's and the load test's tests) never load TF.js. Typed by training's own
 * `buildNetworks`.
 */
export interface TrainingImport {
  /** The package, for the reason when it cannot be imported. */
  name: string;
  load(): Promise<{ buildNetworks: typeof buildNetworks }>;
}

export const TRAINING: TrainingImport = { name: "@ldtext/training", load: () => import("@ldtext/training") };

export async function tfjsReference(cfg: ModelConfig, weights: WeightMap, norm: NormState, training: TrainingImport = TRAINING): Promise<TfjsReference> {
  let build: typeof buildNetworks;
  try {
    ({ buildNetworks: build } = await training.load());
  } catch (e) {
    return { ok: false, reason: `${training.name} could not be imported: ${e instanceof Error ? e.message : String(e)}` };
  }
  const { tfjsAdapter } = await import("./tfjs-adapter.ts");
  return { ok: true, forward: tfjsAdapter(build, cfg, weights, norm) };
}

/** The chosen forward; `note` says why `auto` fell back to the JS reference (for the report). */
export interface ChosenReference {
  forward: ReferenceForward;
  note?: string;
}

export async function chooseReference(kind: "auto" | "tfjs" | "js", cfg: ModelConfig, weights: WeightMap, norm: NormState): Promise<ChosenReference> {
  if (kind === "js") return { forward: jsReference(cfg, weights, norm) };
  const tf = await tfjsReference(cfg, weights, norm);
  if (tf.ok) return { forward: tf.forward };
  if (kind === "tfjs") throw new Error(`the TF.js reference is not available: ${tf.reason}`);
  return { forward: jsReference(cfg, weights, norm), note: `--reference auto fell back to the float64 JS reference: ${tf.reason}` };
}
