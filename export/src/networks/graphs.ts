// The artifact graphs of MODEL-SPEC ("ONNX artifact graphs"), built from a ModelConfig and a weight
// map: encoder (with Normalize), denoiser (per-row t, optional cross-attention), decoder (logits +
// argmax ids), condition encoder (+ null_cond), and, for models with ArDec, the autoregressive
// decoder: its KV-cached pair (ar_memory once per batch, ar_step once per position), and the
// uncached one-step graph (ar_decoder) kept for artifacts and parity checks that use it.
import type { ModelConfig, NetworkConfig, NormState } from "@ldtext/core";
import { GraphBuilder } from "../onnx/graph.ts";
import { NetBuilder } from "../onnx/blocks.ts";
import type { KV, NetOptions } from "../onnx/blocks.ts";
import { DataType } from "../onnx/proto.ts";
import type { WeightMap } from "@ldtext/core";

export const GRAPH_NAMES = ["encoder", "denoiser", "decoder", "cond_encoder", "ar_decoder", "ar_memory", "ar_step"] as const;
export type GraphName = (typeof GRAPH_NAMES)[number];

export const NORM_EPS = 1e-5;

/** (e − μ)/sqrt(q − μ² + eps) as a shift and a scale, computed in float64 (no float32 cancellation). */
export function normShiftScale(norm: NormState, d: number): { mean: Float32Array; invStd: Float32Array } {
  if (!norm.mean || !norm.sq || norm.mean.length !== d || norm.sq.length !== d) {
    throw new Error(`norm "${norm.kind}" needs mean and sq statistics of length ${d}`);
  }
  const mean = new Float32Array(d);
  const invStd = new Float32Array(d);
  for (let i = 0; i < d; i++) {
    const v = norm.sq[i] - norm.mean[i] * norm.mean[i] + NORM_EPS;
    if (!(v > 0)) throw new Error(`norm statistics give a non-positive variance at feature ${i} (sq=${norm.sq[i]}, mean=${norm.mean[i]})`);
    mean[i] = norm.mean[i];
    invStd[i] = 1 / Math.sqrt(v);
  }
  return { mean, invStd };
}

function normalize(n: NetBuilder, e: string, norm: NormState, d: number): string {
  const g = n.g;
  switch (norm.kind) {
    case "sphere": {
      const len = g.op("Max", [g.op("ReduceL2", [e], { axes: [-1], keepdims: 1 }), g.constF([1e-6])]);
      return g.op("Mul", [g.op("Div", [e, len]), g.constF([Math.sqrt(d)])], {}, "x0");
    }
    case "layer": {
      const c = g.op("Sub", [e, g.op("ReduceMean", [e], { axes: [-1], keepdims: 1 })]);
      const v = g.op("ReduceMean", [g.op("Mul", [c, c])], { axes: [-1], keepdims: 1 });
      return g.op("Div", [c, g.op("Sqrt", [g.op("Add", [v, g.constF([NORM_EPS])])])], {}, "x0");
    }
    case "batch":
    case "data": {
      const { mean, invStd } = normShiftScale(norm, d);
      const m = g.initializer("norm.mean", mean, [d]);
      const s = g.initializer("norm.inv_std", invStd, [d]);
      return g.op("Mul", [g.op("Sub", [e, m]), s], {}, "x0");
    }
  }
}

export function buildEncoder(cfg: ModelConfig, weights: WeightMap, norm: NormState): GraphBuilder {
  const g = new GraphBuilder("encoder");
  const n = new NetBuilder(g, weights);
  const D = cfg.enc.dModel;
  const tokens = g.input("tokens", DataType.INT64, ["B", "L"]);
  const h = g.op("Gather", [n.weight("enc.tok_emb", [cfg.vocabSize, D]), tokens], { axis: 0 });
  const e = n.linear(n.trunk(h, "enc", cfg.enc), "enc.out.w", D, cfg.latentDim, "enc.out.b");
  normalize(n, e, norm, cfg.latentDim);
  g.output("x0", DataType.FLOAT, ["B", "L", cfg.latentDim]);
  return g;
}

/** Frequencies 1000·f_j of sinus(t), f_j = exp(−ln(10000)·j/half). */
export function timeFrequencies(dModel: number): Float64Array {
  const half = dModel / 2;
  return Float64Array.from({ length: half }, (_, j) => 1000 * Math.exp((-Math.log(10000) * j) / half));
}

export function buildDenoiser(cfg: ModelConfig, weights: WeightMap, opts: NetOptions = {}): GraphBuilder {
  const g = new GraphBuilder(opts.quantize ? "denoiser_int8" : "denoiser");
  const n = new NetBuilder(g, weights, opts);
  const D = cfg.dif.dModel;
  const d = cfg.latentDim;
  if (D % 2 !== 0) throw new Error(`dif.dModel ${D} must be even (sinusoidal time embedding)`);
  const xt = g.input("x_t", DataType.FLOAT, ["B", "L", d]);
  const xsc = g.input("x_sc", DataType.FLOAT, ["B", "L", d]);
  const t = g.input("t", DataType.FLOAT, ["B"]);
  let cross: { cond: string; condDim: number; bias: string } | undefined;
  if (cfg.task === "summarize") {
    const Dc = cfg.condEnc.dModel;
    const cond = g.input("cond", DataType.FLOAT, ["B", "S", Dc]);
    const mask = g.input("cond_mask", DataType.FLOAT, ["B", "S"]);
    cross = { cond, condDim: Dc, bias: n.keyBias(mask) };
  }

  // sinus(t) in float64: angles reach 1000 rad, where float32 rounding alone is ~3e-5.
  const ang = g.op("Mul", [g.op("Unsqueeze", [g.op("Cast", [t], { to: DataType.DOUBLE }), g.constI64([1])]), g.constD(timeFrequencies(D), [D / 2])]);
  const sinus = g.op("Cast", [g.op("Concat", [g.op("Sin", [ang]), g.op("Cos", [ang])], { axis: -1 })], { to: DataType.FLOAT });
  const temb = n.linear(n.silu(n.linear(sinus, "dif.time.w1", D, D, "dif.time.b1")), "dif.time.w2", D, D, "dif.time.b2");

  const x = g.op("Concat", [xt, xsc], { axis: -1 });
  const h = g.op("Add", [n.linear(x, "dif.in.w", 2 * d, D, "dif.in.b"), g.op("Unsqueeze", [temb, g.constI64([1])])]);
  const out = n.linear(n.trunk(h, "dif", cfg.dif, { ...(cross ? { cross } : {}), ...(cfg.difTimeCond === "blocks" ? { time: temb } : {}) }), "dif.out.w", D, d, "dif.out.b");
  n.named(out, "x0_hat");
  g.output("x0_hat", DataType.FLOAT, ["B", "L", d]);
  return g;
}

export function buildDecoder(cfg: ModelConfig, weights: WeightMap): GraphBuilder {
  const g = new GraphBuilder("decoder");
  const n = new NetBuilder(g, weights);
  const D = cfg.dec.dModel;
  const latents = g.input("latents", DataType.FLOAT, ["B", "L", cfg.latentDim]);
  const h = n.linear(latents, "dec.in.w", cfg.latentDim, D, "dec.in.b");
  const logits = n.named(n.linear(n.trunk(h, "dec", cfg.dec), "dec.lm_head.w", D, cfg.vocabSize, "dec.lm_head.b"), "logits");
  g.op("ArgMax", [logits], { axis: -1, keepdims: 0 }, "ids");
  g.output("logits", DataType.FLOAT, ["B", "L", cfg.vocabSize]);
  g.output("ids", DataType.INT64, ["B", "L"]);
  return g;
}

export function buildCondEncoder(cfg: ModelConfig, weights: WeightMap): GraphBuilder {
  if (cfg.task !== "summarize") throw new Error("cond_encoder needs a summarize model (task generate has no condition encoder)");
  const g = new GraphBuilder("cond_encoder");
  const n = new NetBuilder(g, weights);
  const Dc = cfg.condEnc.dModel;
  const tokens = g.input("tokens", DataType.INT64, ["B", "S"]);
  const mask = g.input("mask", DataType.FLOAT, ["B", "S"]);
  const h = g.op("Gather", [n.weight("cond.tok_emb", [cfg.vocabSize, Dc]), tokens], { axis: 0 });
  n.named(n.trunk(h, "cond", cfg.condEnc, { selfBias: n.keyBias(mask) }), "cond");
  g.op("Unsqueeze", [n.weight("cond.null", [Dc]), g.constI64([0])], {}, "null_cond");
  g.output("cond", DataType.FLOAT, ["B", "S", Dc]);
  g.output("null_cond", DataType.FLOAT, [1, Dc]);
  return g;
}

/**
 * ArDec's one step (MODEL-SPEC "ArDec"): latents `[B, L, d]` and the tokens so far `[B, T]` (BOS,
 * then the T − 1 tokens generated; 1 ≤ T ≤ L) → `next_logits [B, V]` and `next_ids [B]` (argmax), the
 * prediction for position T − 1. The trunk runs on all T positions (causal self-attention, RoPE
 * positions 0..T−1, cross-attention to all L projected latents without a mask), the last position is
 * gathered before lm_head so the V-wide projection runs once per row.
 *
 * No KV cache: every call recomputes the whole prefix, so a greedy decode of L tokens costs
 * L(L+1)/2 ≈ L²/2 position-passes of the trunk per sample (32× the L passes of the
 * non-autoregressive decoder at L = 64). The cached pair (buildArMemory + buildArStep) computes the
 * same function in L passes and is what export writes by default; this graph stays for artifacts
 * that only have it and as the independent whole-prefix computation the pair is tested against.
 */
export function buildArDecoder(cfg: ModelConfig, weights: WeightMap): GraphBuilder {
  const a = arDecConfig(cfg, "ar_decoder");
  const g = new GraphBuilder("ar_decoder");
  const n = new NetBuilder(g, weights);
  const D = a.dModel;
  const latents = g.input("latents", DataType.FLOAT, ["B", "L", cfg.latentDim]);
  const tokens = g.input("tokens", DataType.INT64, ["B", "T"]);
  const mem = n.linear(latents, "ard.in.w", cfg.latentDim, D, "ard.in.b"); // [B, L, D]: the cross-attention memory
  const T = n.dimOf(tokens, 1); // int64 scalar
  const T1 = g.op("Unsqueeze", [T, g.constI64([0])]);
  const own = g.op("Slice", [mem, g.constI64([0]), T1, g.constI64([1])]); // [B, T, D]: each position's own latent
  const h0 = g.op("Add", [g.op("Gather", [n.weight("ard.tok_emb", [cfg.vocabSize, D]), tokens], { axis: 0 }), own]);
  // Causal bias [T, T] (broadcast to [B, H, T, T]): −1e9 where key j > query i.
  const pos = g.op("Range", [g.constI64([0], []), T, g.constI64([1], [])]);
  const above = g.op("Greater", [g.op("Unsqueeze", [pos, g.constI64([0])]), g.op("Unsqueeze", [pos, g.constI64([1])])]);
  const selfBias = g.op("Mul", [g.op("Cast", [above], { to: DataType.FLOAT }), g.constF([-1e9])]);
  const h = n.trunk(h0, "ard", a, { selfBias, cross: { cond: mem, condDim: D } });
  const last = g.op("Gather", [h, g.op("Sub", [T, g.constI64([1], [])])], { axis: 1 }); // [B, D]
  const logits = n.named(n.linear(last, "ard.lm_head.w", D, cfg.vocabSize, "ard.lm_head.b"), "next_logits");
  g.op("ArgMax", [logits], { axis: -1, keepdims: 0 }, "next_ids");
  g.output("next_logits", DataType.FLOAT, ["B", cfg.vocabSize]);
  g.output("next_ids", DataType.INT64, ["B"]);
  return g;
}

/** Per-layer cache value names of the ArDec pair (ar_memory's outputs, ar_step's inputs/outputs). */
export const arCacheNames = (i: number) => ({
  crossK: `cross_k_${i}`,
  crossV: `cross_v_${i}`,
  pastK: `past_k_${i}`,
  pastV: `past_v_${i}`,
  presentK: `present_k_${i}`,
  presentV: `present_v_${i}`,
});

function arDecConfig(cfg: ModelConfig, graph: string): NetworkConfig {
  if (!cfg.arDec) throw new Error(`${graph} needs a model config with arDec`);
  const a = cfg.arDec;
  if (a.dModel % a.heads !== 0 || (a.dModel / a.heads) % 2 !== 0) throw new Error(`ard: dModel ${a.dModel} must split into ${a.heads} heads of even width`);
  return a;
}

/**
 * ArDec's cache, computed once per batch (MODEL-SPEC "ArDec", KV cache): latents `[B, L, d]` →
 * `memory [B, L, D]` (m = latents @ ard.in.w + ard.in.b: the cross-attention memory, and row `pos`
 * is added to the token embedding at position `pos`) and, per layer i, the cross-attention keys and
 * values `cross_k_i`, `cross_v_i [B, H, L, dh]` (m @ cross.wk|wv, heads split), which do not depend on
 * the tokens and so are not recomputed at each step.
 */
export function buildArMemory(cfg: ModelConfig, weights: WeightMap): GraphBuilder {
  const a = arDecConfig(cfg, "ar_memory");
  const g = new GraphBuilder("ar_memory");
  const n = new NetBuilder(g, weights);
  const D = a.dModel;
  const dh = D / a.heads;
  const latents = g.input("latents", DataType.FLOAT, ["B", "L", cfg.latentDim]);
  const mem = n.named(n.linear(latents, "ard.in.w", cfg.latentDim, D, "ard.in.b"), "memory");
  g.output("memory", DataType.FLOAT, ["B", "L", D]);
  for (let i = 0; i < a.layers; i++) {
    const names = arCacheNames(i);
    const kv = n.crossKV(mem, D, `ard.blocks.${i}.cross`, a);
    n.named(kv.k, names.crossK);
    n.named(kv.v, names.crossV);
    g.output(names.crossK, DataType.FLOAT, ["B", a.heads, "L", dh]);
    g.output(names.crossV, DataType.FLOAT, ["B", a.heads, "L", dh]);
  }
  return g;
}

/**
 * ArDec's KV-cached greedy step at position `pos` = P, the length of the past (MODEL-SPEC "ArDec"):
 * `token` int64 `[B, 1]` (the token at position P: BOS at 0, then the previous step's choice),
 * ar_memory's `memory` and `cross_k_i`/`cross_v_i`, and per layer the self-attention keys/values of
 * positions 0..P − 1, `past_k_i`/`past_v_i [B, H, P, dh]` (roped keys; P = 0 at the first step, a
 * zero-size axis) → `next_logits [B, V]`, `next_ids [B]` (argmax), the prediction for position P,
 * and `present_k_i`/`present_v_i [B, H, P + 1, dh]`, the next step's past. The position is read
 * from the past's shape, so it cannot disagree with the cache: rope at P (float64 angle, as the
 * whole-prefix tables), `h = ard.tok_emb[token] + memory[:, P]`, then each block attends over the
 * cache without a mask (every cached position precedes P). One trunk position per call.
 */
export function buildArStep(cfg: ModelConfig, weights: WeightMap): GraphBuilder {
  const a = arDecConfig(cfg, "ar_step");
  const g = new GraphBuilder("ar_step");
  const n = new NetBuilder(g, weights);
  const D = a.dModel;
  const dh = D / a.heads;
  const token = g.input("token", DataType.INT64, ["B", 1]);
  const mem = g.input("memory", DataType.FLOAT, ["B", "L", D]);
  const cross: KV[] = [];
  for (let i = 0; i < a.layers; i++) {
    const names = arCacheNames(i);
    cross.push({ k: g.input(names.crossK, DataType.FLOAT, ["B", a.heads, "L", dh]), v: g.input(names.crossV, DataType.FLOAT, ["B", a.heads, "L", dh]) });
  }
  const past: KV[] = [];
  for (let i = 0; i < a.layers; i++) {
    const names = arCacheNames(i);
    past.push({ k: g.input(names.pastK, DataType.FLOAT, ["B", a.heads, "P", dh]), v: g.input(names.pastV, DataType.FLOAT, ["B", a.heads, "P", dh]) });
  }
  const P = n.dimOf(past[0].k, 2); // int64 scalar: this step's position
  const P1 = g.op("Unsqueeze", [P, g.constI64([0])]);
  const row = g.op("Slice", [mem, P1, g.op("Add", [P1, g.constI64([1])]), g.constI64([1])]); // [B, 1, D]
  let h = g.op("Add", [g.op("Gather", [n.weight("ard.tok_emb", [cfg.vocabSize, D]), token], { axis: 0 }), row]);
  const rope = n.ropeAt(P, dh);
  for (let i = 0; i < a.layers; i++) {
    const names = arCacheNames(i);
    h = n.blockStep(h, `ard.blocks.${i}`, a, rope, past[i], cross[i], { k: names.presentK, v: names.presentV }).h;
  }
  const last = g.op("Squeeze", [n.rmsNorm(h, "ard.final_norm", D), g.constI64([1])]); // [B, D]
  const logits = n.named(n.linear(last, "ard.lm_head.w", D, cfg.vocabSize, "ard.lm_head.b"), "next_logits");
  g.op("ArgMax", [logits], { axis: -1, keepdims: 0 }, "next_ids");
  g.output("next_logits", DataType.FLOAT, ["B", cfg.vocabSize]);
  g.output("next_ids", DataType.INT64, ["B"]);
  for (let i = 0; i < a.layers; i++) {
    const names = arCacheNames(i);
    g.output(names.presentK, DataType.FLOAT, ["B", a.heads, "P+1", dh]);
    g.output(names.presentV, DataType.FLOAT, ["B", a.heads, "P+1", dh]);
  }
  return g;
}

/** ArDec's graphs export writes by default: the KV-cached pair (ar_decoder only when named). */
export const AR_CACHED_GRAPHS: readonly GraphName[] = ["ar_memory", "ar_step"];

/** The graphs a model has (cond_encoder only for summarization; with ArDec its cached pair). */
export function graphsForTask(cfg: ModelConfig): GraphName[] {
  const base: GraphName[] = cfg.task === "summarize" ? ["encoder", "denoiser", "decoder", "cond_encoder"] : ["encoder", "denoiser", "decoder"];
  return cfg.arDec ? [...base, ...AR_CACHED_GRAPHS] : base;
}
