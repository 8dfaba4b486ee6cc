// The weight inventory of docs/MODEL-SPEC.md ("Networks and weight names"): every tensor a
// ModelConfig's networks read, name → shape. Training creates its variables from it, export checks
// weight maps and reads artifacts against it; it is the one list (training and export each kept
// their own copy before, kept in agreement by hand).
import type { ModelConfig, NetworkConfig } from "./config.ts";

/** One weight's values: row-major float32 of `shape`. */
export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}
/** The flat MODEL-SPEC map `name → tensor` (TF.js variable names = checkpoint keys = ONNX initializer names). */
export type FloatWeights = Map<string, WeightTensor>;
/** A weight map that is only read (graph builders, references, checks). */
export type WeightMap = ReadonlyMap<string, WeightTensor>;

/** A network of MODEL-SPEC, by its weight-name prefix. */
export type NetworkName = "enc" | "dec" | "dif" | "cond" | "ard";

/**
 * MODEL-SPEC's network order, and the order of `weightShapes`: training initialises weight i from
 * noise stream i in this order and writes the checkpoint index in it, so it fixes the initial values.
 */
export const NETWORK_NAMES: readonly NetworkName[] = ["enc", "dec", "dif", "cond", "ard"];

/** name → shape, in a fixed order (Map: the order is part of the value). */
export type WeightShapes = Map<string, number[]>;

/** The pre-norm blocks of a network plus its final norm; `crossDim` = Dc adds cross-attention. */
export function blockShapes(prefix: string, cfg: NetworkConfig, crossDim?: number): WeightShapes {
  const { dModel: D, ffn: F } = cfg;
  const out: WeightShapes = new Map();
  for (let i = 0; i < cfg.layers; i++) {
    const p = `${prefix}.blocks.${i}`;
    out.set(`${p}.attn_norm`, [D]);
    for (const m of ["wq", "wk", "wv", "wo"]) out.set(`${p}.attn.${m}`, [D, D]);
    if (crossDim !== undefined) {
      out.set(`${p}.cross_norm`, [D]);
      out.set(`${p}.cross.wq`, [D, D]);
      out.set(`${p}.cross.wk`, [crossDim, D]);
      out.set(`${p}.cross.wv`, [crossDim, D]);
      out.set(`${p}.cross.wo`, [D, D]);
    }
    out.set(`${p}.mlp_norm`, [D]);
    out.set(`${p}.mlp.w1`, [D, F]);
    out.set(`${p}.mlp.w3`, [D, F]);
    out.set(`${p}.mlp.w2`, [F, D]);
  }
  out.set(`${prefix}.final_norm`, [D]);
  return out;
}

/** The weights of one network of `cfg` (none for `cond` on a generate model). */
export function networkWeightShapes(cfg: ModelConfig, net: NetworkName): WeightShapes {
  const d = cfg.latentDim;
  const V = cfg.vocabSize;
  switch (net) {
    case "enc": {
      const D = cfg.enc.dModel;
      return new Map([["enc.tok_emb", [V, D]], ...blockShapes("enc", cfg.enc), ["enc.out.w", [D, d]], ["enc.out.b", [d]]]);
    }
    case "dec": {
      const D = cfg.dec.dModel;
      return new Map([["dec.in.w", [d, D]], ["dec.in.b", [D]], ...blockShapes("dec", cfg.dec), ["dec.lm_head.w", [D, V]], ["dec.lm_head.b", [V]]]);
    }
    case "dif": {
      const D = cfg.dif.dModel;
      const out: WeightShapes = new Map([
        ["dif.time.w1", [D, D]], ["dif.time.b1", [D]], ["dif.time.w2", [D, D]], ["dif.time.b2", [D]],
        ["dif.in.w", [2 * d, D]], ["dif.in.b", [D]],
        ...blockShapes("dif", cfg.dif, cfg.task === "summarize" ? cfg.condEnc.dModel : undefined),
        ["dif.out.w", [D, d]], ["dif.out.b", [d]],
      ]);
      // Last, so that "input" models keep the init order (and so the initial values) they had.
      if (cfg.difTimeCond === "blocks") {
        for (let i = 0; i < cfg.dif.layers; i++) {
          out.set(`dif.blocks.${i}.time.w`, [D, D]);
          out.set(`dif.blocks.${i}.time.b`, [D]);
        }
      }
      return out;
    }
    case "cond": {
      if (cfg.task !== "summarize") return new Map();
      const Dc = cfg.condEnc.dModel;
      return new Map([["cond.tok_emb", [V, Dc]], ...blockShapes("cond", cfg.condEnc), ["cond.null", [Dc]]]);
    }
    case "ard": {
      // Causal self-attention, cross-attention to the projected latents (width D), token embedding.
      if (!cfg.arDec) return new Map();
      const D = cfg.arDec.dModel;
      return new Map([
        ["ard.tok_emb", [V, D]], ["ard.in.w", [d, D]], ["ard.in.b", [D]],
        ...blockShapes("ard", cfg.arDec, D),
        ["ard.lm_head.w", [D, V]], ["ard.lm_head.b", [V]],
      ]);
    }
  }
}

/** Every weight the networks of `cfg` read, with its shape, networks in `order` (default MODEL-SPEC's). */
export function weightShapes(cfg: ModelConfig, order: readonly NetworkName[] = NETWORK_NAMES): WeightShapes {
  const out: WeightShapes = new Map();
  for (const net of order) for (const [name, shape] of networkWeightShapes(cfg, net)) out.set(name, shape);
  return out;
}

/** Which network a weight belongs to, from its prefix. */
export function networkOf(name: string): NetworkName {
  const p = name.slice(0, name.indexOf("."));
  if (p === "enc" || p === "dec" || p === "dif" || p === "cond" || p === "ard") return p;
  throw new Error(`weight "${name}" has no known network prefix`);
}
