// Plain-JS float64 forward of the MODEL-SPEC networks: the independent reference the ONNX graphs are
// tested against (and what `export:verify` compares with when the TF.js networks are not available).
// Written for clarity at tiny sizes, not speed.
import type { ModelConfig, NetworkConfig } from "@ldtext/core";
import type { NormState, WeightMap, WeightTensor } from "@ldtext/core";
import { NORM_EPS, timeFrequencies } from "../networks/graphs.ts";

/** A dense float64 tensor, row-major. */
export interface Tensor64 {
  shape: number[];
  data: Float64Array;
}

function get(weights: WeightMap, name: string): WeightTensor {
  const w = weights.get(name);
  if (!w) throw new Error(`reference: weight ${name} missing`);
  return w;
}

/** x @ W (+ b) over the last axis. */
export function linear(x: Tensor64, w: WeightTensor, b?: WeightTensor): Tensor64 {
  const [k, m] = w.shape;
  const rows = x.data.length / k;
  const out = new Float64Array(rows * m);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < m; j++) {
      let s = b ? b.data[j] : 0;
      for (let i = 0; i < k; i++) s += x.data[r * k + i] * w.data[i * m + j];
      out[r * m + j] = s;
    }
  }
  return { shape: [...x.shape.slice(0, -1), m], data: out };
}

export function rmsNorm(x: Tensor64, g: WeightTensor): Tensor64 {
  const d = g.shape[0];
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < x.data.length / d; r++) {
    let ms = 0;
    for (let i = 0; i < d; i++) ms += x.data[r * d + i] ** 2;
    const inv = 1 / Math.sqrt(ms / d + 1e-6);
    for (let i = 0; i < d; i++) out[r * d + i] = x.data[r * d + i] * inv * g.data[i];
  }
  return { shape: x.shape, data: out };
}

const silu = (v: number): number => v / (1 + Math.exp(-v));

function add(a: Tensor64, b: Tensor64): Tensor64 {
  return { shape: a.shape, data: a.data.map((v, i) => v + b.data[i]) };
}

/** rope on one head's `[L, dh]` rows (rotate-half convention). */
function ropeRows(x: Float64Array, len: number, dh: number): Float64Array {
  const out = new Float64Array(x.length);
  const half = dh / 2;
  for (let p = 0; p < len; p++) {
    for (let i = 0; i < dh; i++) {
      const ang = p * 10000 ** ((-2 * (i % half)) / dh);
      const rot = i < half ? -x[p * dh + i + half] : x[p * dh + i - half];
      out[p * dh + i] = x[p * dh + i] * Math.cos(ang) + rot * Math.sin(ang);
    }
  }
  return out;
}

/** Takes head `hd` of `[B, L, D]` at batch b as `[L, dh]`. */
function head(x: Tensor64, b: number, hd: number, dh: number): Float64Array {
  const [, len, D] = x.shape;
  const out = new Float64Array(len * dh);
  for (let p = 0; p < len; p++) for (let i = 0; i < dh; i++) out[p * dh + i] = x.data[(b * len + p) * D + hd * dh + i];
  return out;
}

/**
 * Multi-head attention from projected q `[B, L, D]`, k/v `[B, S, D]`, optional key mask `[B, S]`;
 * `causal`: query i sees keys j ≤ i only (bias −1e9 above the diagonal, as the graphs add it).
 */
function attention(q: Tensor64, k: Tensor64, v: Tensor64, heads: number, useRope: boolean, keyMask?: Tensor64, causal = false): Tensor64 {
  const [B, L, D] = q.shape;
  const S = k.shape[1];
  const dh = D / heads;
  const out = new Float64Array(B * L * D);
  for (let b = 0; b < B; b++) {
    for (let hd = 0; hd < heads; hd++) {
      let qh = head(q, b, hd, dh);
      let kh = head(k, b, hd, dh);
      const vh = head(v, b, hd, dh);
      if (useRope) {
        qh = ropeRows(qh, L, dh);
        kh = ropeRows(kh, S, dh);
      }
      for (let i = 0; i < L; i++) {
        const s = new Float64Array(S);
        let mx = -Infinity;
        for (let j = 0; j < S; j++) {
          let dot = 0;
          for (let c = 0; c < dh; c++) dot += qh[i * dh + c] * kh[j * dh + c];
          s[j] = dot / Math.sqrt(dh) + (keyMask ? (1 - keyMask.data[b * S + j]) * -1e9 : 0) + (causal && j > i ? -1e9 : 0);
          mx = Math.max(mx, s[j]);
        }
        let z = 0;
        for (let j = 0; j < S; j++) z += s[j] = Math.exp(s[j] - mx);
        for (let c = 0; c < dh; c++) {
          let acc = 0;
          for (let j = 0; j < S; j++) acc += (s[j] / z) * vh[j * dh + c];
          out[(b * L + i) * D + hd * dh + c] = acc;
        }
      }
    }
  }
  return { shape: [B, L, D], data: out };
}

function mlp(h: Tensor64, w: WeightMap, p: string): Tensor64 {
  const a = linear(h, get(w, `${p}.w1`));
  const b = linear(h, get(w, `${p}.w3`));
  return linear({ shape: a.shape, data: a.data.map((v, i) => silu(v) * b.data[i]) }, get(w, `${p}.w2`));
}

export interface CrossInput {
  cond: Tensor64;
  /** Key mask `[B, S]`; absent = every key (ArDec's latents). */
  mask?: Tensor64;
}

export function block(h: Tensor64, w: WeightMap, p: string, cfg: NetworkConfig, selfMask?: Tensor64, cross?: CrossInput, causal = false): Tensor64 {
  const a = rmsNorm(h, get(w, `${p}.attn_norm`));
  const att = attention(linear(a, get(w, `${p}.attn.wq`)), linear(a, get(w, `${p}.attn.wk`)), linear(a, get(w, `${p}.attn.wv`)), cfg.heads, true, selfMask, causal);
  let x = add(h, linear(att, get(w, `${p}.attn.wo`)));
  if (cross) {
    const c = rmsNorm(x, get(w, `${p}.cross_norm`));
    const ca = attention(linear(c, get(w, `${p}.cross.wq`)), linear(cross.cond, get(w, `${p}.cross.wk`)), linear(cross.cond, get(w, `${p}.cross.wv`)), cfg.heads, false, cross.mask);
    x = add(x, linear(ca, get(w, `${p}.cross.wo`)));
  }
  return add(x, mlp(rmsNorm(x, get(w, `${p}.mlp_norm`)), w, `${p}.mlp`));
}

/** `time` `[B, D]`: a "blocks" denoiser's time embedding, projected and added before each block. */
function trunk(h: Tensor64, w: WeightMap, net: string, cfg: NetworkConfig, selfMask?: Tensor64, cross?: CrossInput, time?: Tensor64, causal = false): Tensor64 {
  let x = h;
  for (let i = 0; i < cfg.layers; i++) {
    const p = `${net}.blocks.${i}`;
    if (time) {
      const proj = linear(time, get(w, `${p}.time.w`), get(w, `${p}.time.b`));
      const [B, L, D] = x.shape;
      const data = Float64Array.from(x.data);
      for (let b = 0; b < B; b++) for (let q = 0; q < L; q++) for (let c = 0; c < D; c++) data[(b * L + q) * D + c] += proj.data[b * D + c];
      x = { shape: x.shape, data };
    }
    x = block(x, w, p, cfg, selfMask, cross, causal);
  }
  return rmsNorm(x, get(w, `${net}.final_norm`));
}

function embed(table: WeightTensor, ids: ArrayLike<number>, shape: number[]): Tensor64 {
  const D = table.shape[1];
  const out = new Float64Array(ids.length * D);
  for (let i = 0; i < ids.length; i++) for (let c = 0; c < D; c++) out[i * D + c] = table.data[Number(ids[i]) * D + c];
  return { shape: [...shape, D], data: out };
}

export function normalizeRef(e: Tensor64, norm: NormState): Tensor64 {
  const d = e.shape[e.shape.length - 1];
  const out = new Float64Array(e.data.length);
  for (let r = 0; r < e.data.length / d; r++) {
    const row = e.data.subarray(r * d, (r + 1) * d);
    if (norm.kind === "sphere") {
      const len = Math.max(Math.hypot(...row), 1e-6);
      for (let i = 0; i < d; i++) out[r * d + i] = (Math.sqrt(d) * row[i]) / len;
    } else if (norm.kind === "layer") {
      const mu = row.reduce((a, b) => a + b, 0) / d;
      const v = row.reduce((a, b) => a + (b - mu) ** 2, 0) / d;
      for (let i = 0; i < d; i++) out[r * d + i] = (row[i] - mu) / Math.sqrt(v + NORM_EPS);
    } else {
      for (let i = 0; i < d; i++) out[r * d + i] = (row[i] - norm.mean![i]) / Math.sqrt(norm.sq![i] - norm.mean![i] ** 2 + NORM_EPS);
    }
  }
  return { shape: e.shape, data: out };
}

/** Enc: tokens `[B, L]` → normalized x0 `[B, L, d]`. */
export function encoderRef(cfg: ModelConfig, w: WeightMap, norm: NormState, tokens: ArrayLike<number>, B: number, L: number): Tensor64 {
  const h = trunk(embed(get(w, "enc.tok_emb"), tokens, [B, L]), w, "enc", cfg.enc);
  return normalizeRef(linear(h, get(w, "enc.out.w"), get(w, "enc.out.b")), norm);
}

/** Dif: x̂0 from x_t, x_sc `[B, L, d]`, per-row t `[B]`, optional condition. */
export function denoiserRef(cfg: ModelConfig, w: WeightMap, xt: Tensor64, xsc: Tensor64, t: ArrayLike<number>, cross?: CrossInput): Tensor64 {
  const [B, L, d] = xt.shape;
  const D = cfg.dif.dModel;
  const freqs = timeFrequencies(D);
  const sinus = new Float64Array(B * D);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < D / 2; j++) {
      sinus[b * D + j] = Math.sin(t[b] * freqs[j]);
      sinus[b * D + D / 2 + j] = Math.cos(t[b] * freqs[j]);
    }
  }
  const t1 = linear({ shape: [B, D], data: sinus }, get(w, "dif.time.w1"), get(w, "dif.time.b1"));
  const temb = linear({ shape: t1.shape, data: t1.data.map(silu) }, get(w, "dif.time.w2"), get(w, "dif.time.b2"));
  const x = new Float64Array(B * L * 2 * d);
  for (let r = 0; r < B * L; r++) {
    for (let i = 0; i < d; i++) {
      x[r * 2 * d + i] = xt.data[r * d + i];
      x[r * 2 * d + d + i] = xsc.data[r * d + i];
    }
  }
  const h = linear({ shape: [B, L, 2 * d], data: x }, get(w, "dif.in.w"), get(w, "dif.in.b"));
  for (let b = 0; b < B; b++) for (let p = 0; p < L; p++) for (let c = 0; c < D; c++) h.data[(b * L + p) * D + c] += temb.data[b * D + c];
  return linear(trunk(h, w, "dif", cfg.dif, undefined, cross, cfg.difTimeCond === "blocks" ? temb : undefined), get(w, "dif.out.w"), get(w, "dif.out.b"));
}

/** Dec: latents `[B, L, d]` → logits `[B, L, V]`. */
export function decoderRef(cfg: ModelConfig, w: WeightMap, latents: Tensor64): Tensor64 {
  const h = trunk(linear(latents, get(w, "dec.in.w"), get(w, "dec.in.b")), w, "dec", cfg.dec);
  return linear(h, get(w, "dec.lm_head.w"), get(w, "dec.lm_head.b"));
}

/** CondEnc: tokens, mask `[B, S]` → cond `[B, S, Dc]`. */
export function condEncoderRef(cfg: ModelConfig, w: WeightMap, tokens: ArrayLike<number>, mask: Tensor64): Tensor64 {
  if (cfg.task !== "summarize") throw new Error("condEncoderRef needs a summarize model (task generate has no condition encoder)");
  const [B, S] = mask.shape;
  return trunk(embed(get(w, "cond.tok_emb"), tokens, [B, S]), w, "cond", cfg.condEnc, mask);
}

/**
 * ArDec (teacher-forced): latents `[B, L, d]`, input tokens `[B, T]` (BOS then the tokens so far;
 * T ≤ L) → logits `[B, T, V]`; position i's logits predict token i.
 */
export function arDecoderRef(cfg: ModelConfig, w: WeightMap, latents: Tensor64, tokens: ArrayLike<number>, T: number): Tensor64 {
  if (!cfg.arDec) throw new Error("arDecoderRef needs a model config with arDec");
  const [B, L] = latents.shape;
  if (T < 1 || T > L) throw new Error(`arDecoderRef: T = ${T} must be in [1, ${L}]`);
  const D = cfg.arDec.dModel;
  const mem = linear(latents, get(w, "ard.in.w"), get(w, "ard.in.b"));
  const h0 = embed(get(w, "ard.tok_emb"), tokens, [B, T]);
  for (let b = 0; b < B; b++) for (let p = 0; p < T; p++) for (let c = 0; c < D; c++) h0.data[(b * T + p) * D + c] += mem.data[(b * L + p) * D + c];
  const h = trunk(h0, w, "ard", cfg.arDec, undefined, { cond: mem }, undefined, true);
  return linear(h, get(w, "ard.lm_head.w"), get(w, "ard.lm_head.b"));
}
