// The MODEL-SPEC weight inventory (name → shape) for a ModelConfig, and seeded random weights with
// the usual scaling (matrices N(0, 1/fan_in), embeddings N(0, 1), gains near 1) for tests and for
// servers that need a loadable artifact without training.
import type { ModelConfig, NetworkConfig } from "@ldtext/core";
import type { WeightMap, WeightTensor } from "../onnx/blocks.ts";

function blockShapes(out: Map<string, number[]>, net: string, cfg: NetworkConfig, crossDim?: number): void {
  const D = cfg.dModel;
  for (let i = 0; i < cfg.layers; i++) {
    const p = `${net}.blocks.${i}`;
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
    out.set(`${p}.mlp.w1`, [D, cfg.ffn]);
    out.set(`${p}.mlp.w3`, [D, cfg.ffn]);
    out.set(`${p}.mlp.w2`, [cfg.ffn, D]);
  }
  out.set(`${net}.final_norm`, [D]);
}

/** Every weight the networks of `cfg` read, with its shape. */
export function weightShapes(cfg: ModelConfig): Map<string, number[]> {
  const s = new Map<string, number[]>();
  const d = cfg.latentDim;
  const V = cfg.vocabSize;
  s.set("enc.tok_emb", [V, cfg.enc.dModel]);
  blockShapes(s, "enc", cfg.enc);
  s.set("enc.out.w", [cfg.enc.dModel, d]);
  s.set("enc.out.b", [d]);

  const D = cfg.dif.dModel;
  s.set("dif.time.w1", [D, D]);
  s.set("dif.time.b1", [D]);
  s.set("dif.time.w2", [D, D]);
  s.set("dif.time.b2", [D]);
  s.set("dif.in.w", [2 * d, D]);
  s.set("dif.in.b", [D]);
  blockShapes(s, "dif", cfg.dif, cfg.task === "summarize" ? cfg.condEnc?.dModel : undefined);
  s.set("dif.out.w", [D, d]);
  s.set("dif.out.b", [d]);
  if (cfg.difTimeCond === "blocks") {
    for (let i = 0; i < cfg.dif.layers; i++) {
      s.set(`dif.blocks.${i}.time.w`, [D, D]);
      s.set(`dif.blocks.${i}.time.b`, [D]);
    }
  }

  s.set("dec.in.w", [d, cfg.dec.dModel]);
  s.set("dec.in.b", [cfg.dec.dModel]);
  blockShapes(s, "dec", cfg.dec);
  s.set("dec.lm_head.w", [cfg.dec.dModel, V]);
  s.set("dec.lm_head.b", [V]);

  if (cfg.task === "summarize") {
    if (!cfg.condEnc) throw new Error("a summarize model needs condEnc in its config");
    s.set("cond.tok_emb", [V, cfg.condEnc.dModel]);
    blockShapes(s, "cond", cfg.condEnc);
    s.set("cond.null", [cfg.condEnc.dModel]);
  }
  return s;
}

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
  for (const [name, shape] of weightShapes(cfg)) {
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
  for (const [name, shape] of weightShapes(cfg)) {
    const w = weights.get(name);
    if (!w) problems.push(`missing ${name}`);
    else if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) problems.push(`${name}: [${w.shape}] ≠ [${shape}]`);
    else if (w.data.length !== shape.reduce((a, b) => a * b, 1)) problems.push(`${name}: ${w.data.length} values for [${shape}]`);
  }
  if (problems.length) throw new Error(`weights do not match the model config: ${problems.slice(0, 8).join("; ")}${problems.length > 8 ? ` (+${problems.length - 8} more)` : ""}`);
}
