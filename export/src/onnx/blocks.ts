// The MODEL-SPEC building blocks as ONNX subgraphs: RMSNorm, rotary positions, (cross-)attention,
// SwiGLU, pre-norm blocks. Written decomposed (Pow/ReduceMean/…, MatMul/Softmax) in the shapes ONNX
// Runtime's optimizer fuses at level "all". Position and time angles are computed in float64 inside
// the graph so the tables carry no float32 rounding of large angles.
import { DataType } from "./proto.ts";
import { MS_DOMAIN } from "./graph.ts";
import type { GraphBuilder } from "./graph.ts";
import type { NetworkConfig, WeightMap, WeightTensor } from "@ldtext/core";

/**
 * How quantized weights are stored for DynamicQuantizeMatMul (activations are always dynamic
 * per-tensor uint8, so the kernel is MLAS's U8S8 for int8 weights and U8U8 for uint8 weights):
 * - `s8`: int8, symmetric ±127 per column. On AVX2 without VNNI, MLAS's U8S8 kernel adds pairs of
 *   u8×s8 products with `vpmaddubsw` into saturating int16: 255·127·2 = 64770 > 32767, so the result
 *   depends on the CPU's instruction set (the error seen on Zen 3).
 * - `s7`: int8 restricted to ±63 per column (ONNX Runtime's `reduce_range`): 255·63·2 = 32130 fits
 *   int16, so no CPU can saturate, at half the weight resolution.
 * - `u8u8`: uint8 weights = round(w/scale) + 128 (±127 levels, zero point 128 per column). MLAS's
 *   U8U8 kernels widen both operands to int16 and multiply-add into int32 (`vpmaddwd`), which cannot
 *   saturate, on every x86 CPU; full 8-bit resolution.
 */
export type Int8Scheme = "s8" | "s7" | "u8u8";
export const INT8_SCHEMES: readonly Int8Scheme[] = ["s8", "s7", "u8u8"];
/** The scheme export writes: see docs in export/README.md ("int8") for the measurement behind it. */
export const DEFAULT_INT8_SCHEME: Int8Scheme = "s7";

/**
 * Which weights the int8 denoiser quantizes by default: the matmuls inside blocks, except
 * - `mlp.w2`: its input silu(h·w1)·(h·w3) has outlier tokens/channels (max 133 against a channel
 *   median of 2.5 in the last block of rocstories-generate 1.1.0); quantized, it alone took the
 *   x̂0 error from ~0.7 % to 1.4–4 % of max |x̂0| on the shipped models (bench:int8-schemes);
 * - the per-block time projections `time.w` ([B, D] inputs: negligible FLOPs, and the input carries
 *   rows of different t, which one shared scale would mix).
 */
export function defaultQuantizeWeight(name: string): boolean {
  return name.includes(".blocks.") && !/\.time\.w$/.test(name) && !name.endsWith(".mlp.w2");
}

export interface NetOptions {
  /** Replace the block weight matmuls by com.microsoft DynamicQuantizeMatMul with per-column 8-bit weights. */
  quantize?: "int8";
  /** Weight storage of the quantized matmuls (default DEFAULT_INT8_SCHEME). */
  int8Scheme?: Int8Scheme;
  /** Which weight matmuls to quantize (default: defaultQuantizeWeight). */
  quantizeWeight?: (name: string) => boolean;
  /**
   * Activation quantization: `tensor` = DynamicQuantizeMatMul (one dynamic uint8 scale per call,
   * shared by every row of the batch); `row` (default) = symmetric per-row (per-token) uint8 with
   * zero point 128 written out around MatMulInteger, so a row's result does not depend on the other
   * rows in the batch and one outlier token costs only its own row's resolution.
   */
  int8Activations?: "tensor" | "row";
  /**
   * How per-row activations are quantized: `qdq` (default) = one QuantizeLinear (per-axis over
   * rows [R, K], scale a/127 per row) instead of the Mul/Round/Clip/Add/Cast chain of `elementwise`
   * (the same arithmetic up to x/(a/127) vs x·(127/a) rounding). The int32 result is dequantized by
   * Cast/Mul/Mul in both (ORT 1.30's int32 DequantizeLinear measured ~4× slower than Cast+Mul).
   */
  int8RowOps?: "qdq" | "elementwise";
  /**
   * Fuse the quantized matmuls that share an input (attn q|k|v, cross k|v, mlp w1|w3) into one
   * MatMulInteger over the concatenated columns, then Split. Weights are quantized per column, so
   * the fused graph computes the same numbers. Default false: measured slower (the Split copies cost
   * more than the larger matmul saves; ORT already shares the inputs' quantization by CSE).
   */
  int8Fuse?: boolean;
  /** Filled with weight name → the tensor name of its matmul's input (activation calibration). */
  taps?: Map<string, string>;
}

const RMS_EPS = 1e-6;

/** Attention keys and values, both `[B, H, positions, dh]` (value names in the graph). */
export interface KV {
  k: string;
  v: string;
}

/** Symmetric per-column int8 quantization of a [K, N] matrix: W ≈ q * scale[col]. */
export function quantizePerColumn(w: WeightTensor, levels = 127): { q: Int8Array; scale: Float32Array } {
  const [k, n] = w.shape;
  const scale = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    let m = 0;
    for (let r = 0; r < k; r++) m = Math.max(m, Math.abs(w.data[r * n + c]));
    scale[c] = m > 0 ? m / levels : 1;
  }
  const q = new Int8Array(k * n);
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < n; c++) q[r * n + c] = Math.max(-levels, Math.min(levels, Math.round(w.data[r * n + c] / scale[c])));
  }
  return { q, scale };
}

/** Per-column quantized weights in a scheme's storage: W ≈ (q − zero[col]) · scale[col]. */
export interface QuantizedWeight {
  q: Int8Array | Uint8Array;
  scale: Float32Array;
  zero: Int8Array | Uint8Array;
}

export function quantizeWeight(w: WeightTensor, scheme: Int8Scheme): QuantizedWeight {
  const n = w.shape[1];
  if (scheme === "s8" || scheme === "s7") {
    const { q, scale } = quantizePerColumn(w, scheme === "s8" ? 127 : 63);
    return { q, scale, zero: new Int8Array(n) };
  }
  const { q, scale } = quantizePerColumn(w, 127);
  const u = new Uint8Array(q.length);
  for (let i = 0; i < q.length; i++) u[i] = q[i] + 128;
  return { q: u, scale, zero: new Uint8Array(n).fill(128) };
}

/** Builds network subgraphs reading weights from a WeightMap by MODEL-SPEC name, checking shapes. */
export class NetBuilder {
  constructor(
    readonly g: GraphBuilder,
    readonly weights: WeightMap,
    readonly opts: NetOptions = {},
  ) {}

  /** Registers the named weight as an initializer (once) after checking its shape. */
  weight(name: string, shape: readonly number[]): string {
    const w = this.weights.get(name);
    if (!w) throw new Error(`weight ${name} is missing from the weight map`);
    if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`weight ${name} has shape [${w.shape}], expected [${shape}]`);
    }
    if (!this.g.hasInitializer(name)) this.g.initializer(name, w.data, w.shape);
    return name;
  }

  private quantizes(wName: string): boolean {
    return this.opts.quantize === "int8" && (this.opts.quantizeWeight ?? defaultQuantizeWeight)(wName);
  }

  /** x @ W (+ b): `W [in, out]`, optional bias `[out]`. */
  linear(x: string, wName: string, inDim: number, outDim: number, bName?: string): string {
    this.opts.taps?.set(wName, x);
    // Only block matmuls are quantized: they carry nearly all the FLOPs, while the small in/out/time
    // projections (d-wide) cost little and quantizing them added ~25 % to the error in a measurement.
    if (this.quantizes(wName)) {
      this.weight(wName, [inDim, outDim]); // validates shape; the float copy is dropped below
      this.g.initializers.delete(wName);
      return this.quantizedMatMul(x, wName, this.weights.get(wName)!, bName);
    }
    let y = this.g.op("MatMul", [x, this.weight(wName, [inDim, outDim])]);
    if (bName) y = this.g.op("Add", [y, this.weight(bName, [outDim])]);
    return y;
  }

  /**
   * x @ W_i for several weights sharing the input x (no biases). Quantized and int8Fuse: one int8
   * matmul over the concatenated columns (`{names joined by +}`), split back.
   */
  linears(x: string, wNames: readonly string[], inDim: number, outDims: readonly number[]): string[] {
    if (!(this.opts.int8Fuse ?? false) || wNames.length < 2 || !wNames.every((n) => this.quantizes(n))) {
      return wNames.map((n, i) => this.linear(x, n, inDim, outDims[i]));
    }
    const total = outDims.reduce((a, b) => a + b, 0);
    const data = new Float32Array(inDim * total);
    let off = 0;
    wNames.forEach((n, i) => {
      this.opts.taps?.set(n, x);
      this.weight(n, [inDim, outDims[i]]);
      this.g.initializers.delete(n);
      const w = this.weights.get(n)!.data;
      const o = outDims[i];
      for (let r = 0; r < inDim; r++) data.set(w.subarray(r * o, (r + 1) * o), r * total + off);
      off += o;
    });
    const y = this.quantizedMatMul(x, wNames.join("+"), { shape: [inDim, total], data });
    return this.g.node("Split", [y, this.g.constI64(outDims)], { axis: -1 }, { outputs: wNames.length });
  }

  /** The int8 matmul of x by `w` stored as `{name}.int8/.scale/.zero` (see NetOptions). */
  private quantizedMatMul(x: string, name: string, w: WeightTensor, bName?: string): string {
    const g = this.g;
    const [inDim, outDim] = w.shape;
    const qName = `${name}.int8`;
    const sName = `${name}.scale`;
    const zName = `${name}.zero`;
    if (!g.hasInitializer(qName)) {
      const { q, scale, zero } = quantizeWeight(w, this.opts.int8Scheme ?? DEFAULT_INT8_SCHEME);
      g.initializer(qName, q, [inDim, outDim]);
      g.initializer(sName, scale, [outDim]);
      g.initializer(zName, zero, [outDim]);
    }
    const bias = bName ? this.weight(bName, [outDim]) : undefined;
    if ((this.opts.int8Activations ?? "row") === "tensor") {
      return g.node("DynamicQuantizeMatMul", bias ? [x, qName, sName, zName, bias] : [x, qName, sName, zName], {}, { domain: MS_DOMAIN })[0];
    }
    const aZero = g.hasInitializer("int8.row_zero") ? "int8.row_zero" : g.initializer("int8.row_zero", new Uint8Array([128]), []);
    let y: string;
    if ((this.opts.int8RowOps ?? "qdq") === "qdq") {
      // Rows as [R, K]: xq = saturate(round(x / (a/127)) + 128) per row (a = max |x| of the row, so
      // |xq − 128| ≤ 127), y = float(MatMulInteger) · a/127 · scale[col].
      const x2 = g.op("Reshape", [x, g.constI64([-1, inDim])]);
      const amax = g.op("Max", [g.op("ReduceMax", [g.op("Abs", [x2])], { axes: [-1], keepdims: 0 }), g.constF([1e-12])]);
      const rowScale = g.op("Div", [amax, g.constF([127])]);
      const rowZero = g.op("Expand", [aZero, g.op("Shape", [rowScale])]);
      const xq = g.op("QuantizeLinear", [x2, rowScale, rowZero], { axis: 0 });
      const acc = g.op("Cast", [g.op("MatMulInteger", [xq, qName, aZero, zName])], { to: DataType.FLOAT });
      const y2 = g.op("Mul", [g.op("Mul", [acc, g.op("Unsqueeze", [rowScale, g.constI64([1])])]), sName]);
      const outShape = g.op("Concat", [g.op("Shape", [x], { end: -1 }), g.constI64([outDim])], { axis: 0 });
      y = g.op("Reshape", [y2, outShape]);
    } else {
      // x ≈ (xq − 128)·a/127 per row, a = max |x| of the row; |xq − 128| ≤ 127 (MLAS reads raw
      // u8 ≤ 255, so with s7 weights a vpmaddubsw pair stays ≤ 255·63·2 < 32767).
      const amax = g.op("Max", [g.op("ReduceMax", [g.op("Abs", [x])], { axes: [-1], keepdims: 1 }), g.constF([1e-12])]);
      const inv = g.op("Div", [g.constF([127]), amax]);
      const r = g.op("Clip", [g.op("Round", [g.op("Mul", [x, inv])]), g.constF([-127], []), g.constF([127], [])]);
      const xq = g.op("Cast", [g.op("Add", [r, g.constF([128])])], { to: DataType.UINT8 });
      const acc = g.op("MatMulInteger", [xq, qName, aZero, zName]);
      y = g.op("Mul", [g.op("Mul", [g.op("Cast", [acc], { to: DataType.FLOAT }), g.op("Div", [amax, g.constF([127])])]), sName]);
    }
    return bias ? g.op("Add", [y, bias]) : y;
  }

  rmsNorm(x: string, gName: string, dim: number): string {
    const g = this.g;
    const sq = g.op("Pow", [x, g.constF([2])]);
    const ms = g.op("ReduceMean", [sq], { axes: [-1], keepdims: 1 });
    const rms = g.op("Sqrt", [g.op("Add", [ms, g.constF([RMS_EPS])])]);
    return g.op("Mul", [g.op("Div", [x, rms]), this.weight(gName, [dim])]);
  }

  /** Length of axis `axis` of `x` as an int64 scalar. */
  dimOf(x: string, axis: number): string {
    return this.g.op("Gather", [this.g.op("Shape", [x]), this.g.constI64([axis], [])], { axis: 0 });
  }

  /** cos/sin tables `[L, dh]` (half table repeated twice) for positions 0..L−1, L read from `x`'s axis 1. */
  ropeTables(x: string, dh: number): { cos: string; sin: string } {
    const g = this.g;
    const len = g.op("Cast", [this.dimOf(x, 1)], { to: DataType.DOUBLE });
    const pos = g.op("Range", [g.constD([0]), len, g.constD([1])]);
    return this.ropeOf(g.op("Unsqueeze", [pos, g.constI64([1])]), dh);
  }

  /**
   * cos/sin `[dh]` of the one position `pos` (an int64 scalar): a KV-cached step's rope. The angle
   * is formed in float64 exactly as in ropeTables (an integer times the same inverse frequencies),
   * so the step and the whole-prefix graph rotate by bit-identical tables.
   */
  ropeAt(pos: string, dh: number): { cos: string; sin: string } {
    return this.ropeOf(this.g.op("Cast", [pos], { to: DataType.DOUBLE }), dh);
  }

  /** cos/sin of float64 positions `pos` (any shape broadcasting against `[dh]`) times inv_freq. */
  private ropeOf(pos: string, dh: number): { cos: string; sin: string } {
    const g = this.g;
    const invFreq = new Float64Array(dh);
    for (let i = 0; i < dh / 2; i++) invFreq[i] = invFreq[i + dh / 2] = 10000 ** ((-2 * i) / dh);
    const ang = g.op("Mul", [pos, g.constD(invFreq, [dh])]);
    return {
      cos: g.op("Cast", [g.op("Cos", [ang])], { to: DataType.FLOAT }),
      sin: g.op("Cast", [g.op("Sin", [ang])], { to: DataType.FLOAT }),
    };
  }

  /** rope(x) = x·cos + rotate_half(x)·sin on `[B, H, L, dh]`. */
  rope(x: string, tables: { cos: string; sin: string }, dh: number): string {
    const g = this.g;
    const axes = g.constI64([-1]);
    const x1 = g.op("Slice", [x, g.constI64([0]), g.constI64([dh / 2]), axes]);
    const x2 = g.op("Slice", [x, g.constI64([dh / 2]), g.constI64([dh]), axes]);
    const rot = g.op("Concat", [g.op("Neg", [x2]), x1], { axis: -1 });
    return g.op("Add", [g.op("Mul", [x, tables.cos]), g.op("Mul", [rot, tables.sin])]);
  }

  /** `[B, L, D]` → `[B, H, L, dh]`. */
  splitHeads(x: string, heads: number, dh: number): string {
    const r = this.g.op("Reshape", [x, this.g.constI64([0, 0, heads, dh])]);
    return this.g.op("Transpose", [r], { perm: [0, 2, 1, 3] });
  }

  /** Key-padding bias `(1 − mask)·(−1e9)` as `[B, 1, 1, S]` from a float mask `[B, S]`. */
  keyBias(mask: string): string {
    const g = this.g;
    const b = g.op("Mul", [g.op("Sub", [g.constF([1]), mask]), g.constF([-1e9])]);
    return g.op("Unsqueeze", [b, g.constI64([1, 2])]);
  }

  /** softmax(q kᵀ / √dh + bias) v, heads merged back to `[B, L, D]`. */
  attend(q: string, k: string, v: string, dModel: number, dh: number, bias?: string): string {
    const g = this.g;
    let s = g.op("MatMul", [q, g.op("Transpose", [k], { perm: [0, 1, 3, 2] })]);
    s = g.op("Mul", [s, g.constF([1 / Math.sqrt(dh)])]);
    if (bias) s = g.op("Add", [s, bias]);
    const o = g.op("MatMul", [g.op("Softmax", [s], { axis: -1 }), v]);
    return g.op("Reshape", [g.op("Transpose", [o], { perm: [0, 2, 1, 3] }), g.constI64([0, 0, dModel])]);
  }

  selfAttention(h: string, p: string, cfg: NetworkConfig, rope: { cos: string; sin: string }, bias?: string): string {
    const D = cfg.dModel;
    const dh = D / cfg.heads;
    const [q0, k0, v0] = this.linears(h, [`${p}.wq`, `${p}.wk`, `${p}.wv`], D, [D, D, D]);
    const q = this.rope(this.splitHeads(q0, cfg.heads, dh), rope, dh);
    const k = this.rope(this.splitHeads(k0, cfg.heads, dh), rope, dh);
    const v = this.splitHeads(v0, cfg.heads, dh);
    return this.linear(this.attend(q, k, v, D, dh, bias), `${p}.wo`, D, D);
  }

  /**
   * Self-attention of new positions (`h [B, 1, D]` in ArDec's step) over cached keys/values:
   * `past` k/v `[B, H, P, dh]` (already roped; P may be 0: ONNX Runtime's Concat skips empty inputs)
   * are concatenated with the new ones, so `present` k/v are `[B, H, P + 1, dh]`. No causal bias: a
   * new position may see every cached one and itself, which is exactly the causal row of a
   * whole-prefix graph (there the −1e9 bias gives exp(·) = 0 for the later keys).
   */
  selfAttentionStep(h: string, p: string, cfg: NetworkConfig, rope: { cos: string; sin: string }, past: KV, presentNames?: KV): { out: string; present: KV } {
    const D = cfg.dModel;
    const dh = D / cfg.heads;
    const [q0, k0, v0] = this.linears(h, [`${p}.wq`, `${p}.wk`, `${p}.wv`], D, [D, D, D]);
    const q = this.rope(this.splitHeads(q0, cfg.heads, dh), rope, dh);
    // The Concats write the graph outputs directly when named: an Identity would copy the whole
    // cache once more per step (measured 4 % of a batch-16 step of the small preset).
    const k = this.g.op("Concat", [past.k, this.rope(this.splitHeads(k0, cfg.heads, dh), rope, dh)], { axis: 2 }, presentNames?.k);
    const v = this.g.op("Concat", [past.v, this.splitHeads(v0, cfg.heads, dh)], { axis: 2 }, presentNames?.v);
    return { out: this.linear(this.attend(q, k, v, D, dh), `${p}.wo`, D, D), present: { k, v } };
  }

  /** The cross-attention keys/values `[B, H, S, dh]` of `cond` (no rope): what ArDec's cache holds per layer. */
  crossKV(cond: string, condDim: number, p: string, cfg: NetworkConfig): KV {
    const D = cfg.dModel;
    const dh = D / cfg.heads;
    const [k0, v0] = this.linears(cond, [`${p}.wk`, `${p}.wv`], condDim, [D, D]);
    return { k: this.splitHeads(k0, cfg.heads, dh), v: this.splitHeads(v0, cfg.heads, dh) };
  }

  /** Cross-attention of `h` to precomputed keys/values (crossKV); `bias` as in crossAttention. */
  crossAttend(h: string, kv: KV, p: string, cfg: NetworkConfig, bias?: string): string {
    const D = cfg.dModel;
    const dh = D / cfg.heads;
    const q = this.splitHeads(this.linear(h, `${p}.wq`, D, D), cfg.heads, dh);
    return this.linear(this.attend(q, kv.k, kv.v, D, dh, bias), `${p}.wo`, D, D);
  }

  /** `bias`: a key-padding bias `[B, 1, 1, S]`, or none (every key attended, ArDec's latents). */
  crossAttention(h: string, cond: string, condDim: number, p: string, cfg: NetworkConfig, bias?: string): string {
    return this.crossAttend(h, this.crossKV(cond, condDim, p, cfg), p, cfg, bias);
  }

  silu(x: string): string {
    return this.g.op("Mul", [x, this.g.op("Sigmoid", [x])]);
  }

  mlp(h: string, p: string, cfg: NetworkConfig): string {
    const [h1, h3] = this.linears(h, [`${p}.w1`, `${p}.w3`], cfg.dModel, [cfg.ffn, cfg.ffn]);
    const a = this.silu(h1);
    const b = h3;
    return this.linear(this.g.op("Mul", [a, b]), `${p}.w2`, cfg.ffn, cfg.dModel);
  }

  /** Pre-norm block `{p}` = `{net}.blocks.{i}`. */
  block(
    h: string,
    p: string,
    cfg: NetworkConfig,
    rope: { cos: string; sin: string },
    extra: { selfBias?: string; cross?: { cond: string; condDim: number; bias?: string } } = {},
  ): string {
    const D = cfg.dModel;
    let x = this.g.op("Add", [h, this.selfAttention(this.rmsNorm(h, `${p}.attn_norm`, D), `${p}.attn`, cfg, rope, extra.selfBias)]);
    if (extra.cross) {
      const c = extra.cross;
      x = this.g.op("Add", [x, this.crossAttention(this.rmsNorm(x, `${p}.cross_norm`, D), c.cond, c.condDim, `${p}.cross`, cfg, c.bias)]);
    }
    return this.g.op("Add", [x, this.mlp(this.rmsNorm(x, `${p}.mlp_norm`, D), `${p}.mlp`, cfg)]);
  }

  /**
   * One pre-norm block `{p}` over new positions with a KV cache (ArDec's step): self-attention over
   * `past` + the new keys/values, cross-attention to the precomputed `cross` keys/values, MLP.
   * Returns the block's output and the self-attention's present keys/values (named `presentNames`
   * when given).
   */
  blockStep(h: string, p: string, cfg: NetworkConfig, rope: { cos: string; sin: string }, past: KV, cross: KV, presentNames?: KV): { h: string; present: KV } {
    const D = cfg.dModel;
    const sa = this.selfAttentionStep(this.rmsNorm(h, `${p}.attn_norm`, D), `${p}.attn`, cfg, rope, past, presentNames);
    let x = this.g.op("Add", [h, sa.out]);
    x = this.g.op("Add", [x, this.crossAttend(this.rmsNorm(x, `${p}.cross_norm`, D), cross, `${p}.cross`, cfg)]);
    return { h: this.g.op("Add", [x, this.mlp(this.rmsNorm(x, `${p}.mlp_norm`, D), `${p}.mlp`, cfg)]), present: sa.present };
  }

  /** `layers` blocks then the final norm; `net` is the prefix (`enc`, `dec`, `dif`, `cond`, `ard`). */
  /**
   * `time`: the time embedding `[B, D]` of a denoiser whose config has difTimeCond "blocks"; its
   * projection `{p}.time.w/b` is added to the residual stream before block i (MODEL-SPEC).
   */
  trunk(h: string, net: string, cfg: NetworkConfig, extra: Parameters<NetBuilder["block"]>[4] & { time?: string } = {}): string {
    if (cfg.dModel % cfg.heads !== 0 || (cfg.dModel / cfg.heads) % 2 !== 0) {
      throw new Error(`${net}: dModel ${cfg.dModel} must split into ${cfg.heads} heads of even width`);
    }
    const rope = this.ropeTables(h, cfg.dModel / cfg.heads);
    let x = h;
    for (let i = 0; i < cfg.layers; i++) {
      const p = `${net}.blocks.${i}`;
      if (extra.time !== undefined) {
        const proj = this.linear(extra.time, `${p}.time.w`, cfg.dModel, cfg.dModel, `${p}.time.b`);
        x = this.g.op("Add", [x, this.g.op("Unsqueeze", [proj, this.g.constI64([1])])]);
      }
      x = this.block(x, p, cfg, rope, extra);
    }
    return this.rmsNorm(x, `${net}.final_norm`, cfg.dModel);
  }

  /** Marks `x` as the float value of graph output `name` (Identity so the name is exactly the output). */
  named(x: string, name: string): string {
    return this.g.op("Identity", [x], {}, name);
  }
}
