// Weight maps against core's weight inventory (`weightShapes`): a shape check, and seeded random
// weights with the usual scaling (matrices N(0, 1/fan_in), embeddings N(0, 1), gains near 1) for
// tests and for servers that need a loadable artifact without training.
import { type ModelConfig, type NetworkName, weightShapes } from "@ldtext/core";
import type { WeightMap, WeightTensor } from "@ldtext/core";

/**
 * The network order export lists weights in (enc, dif, dec, cond, ard; core's inventory order is enc,
 * dec, dif, cond, ard): random artifacts draw their seeded values in it and an int8 manifest's
 * `quantization.fp32` list follows it, so it stays as it was.
 */
export const EXPORT_ORDER: readonly NetworkName[] = ["enc", "dif", "dec", "cond", "ard"];

/** mulberry32 uniforms → Box–Muller normals: small, seedable, dependency-free. */
export function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Random weights for every tensor of `cfg`, deterministic in `seed`. */
export function randomWeights(cfg: ModelConfig, seed: number): Map<string, WeightTensor> {
  const rnd = gaussian(seed);
  const out = new Map<string, WeightTensor>();
  for (const [name, shape] of weightShapes(cfg, EXPORT_ORDER)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const isGain = name.endsWith("_norm");
    const isBias = /\.b\d?$/.test(name);
    const isEmbedding = name.endsWith("tok_emb") || name === "cond.null";
    const std = isGain || isBias ? 0.1 : isEmbedding ? 1 : 1 / Math.sqrt(shape[0]);
    for (let i = 0; i < n; i++) data[i] = (isGain ? 1 : 0) + std * rnd();
    out.set(name, { shape, data });
  }
  return out;
}

/** Checks a weight map against the config: every expected name with the right shape (extras allowed). */
export function checkWeights(cfg: ModelConfig, weights: WeightMap): void {
  const problems: string[] = [];
  for (const [name, shape] of weightShapes(cfg, EXPORT_ORDER)) {
    const w = weights.get(name);
    if (!w) problems.push(`missing ${name}`);
    else if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) problems.push(`${name}: [${w.shape}] ≠ [${shape}]`);
    else if (w.data.length !== shape.reduce((a, b) => a * b, 1)) problems.push(`${name}: ${w.data.length} values for [${shape}]`);
  }
  if (problems.length) throw new Error(`weights do not match the model config: ${problems.slice(0, 8).join("; ")}${problems.length > 8 ? ` (+${problems.length - 8} more)` : ""}`);
}
