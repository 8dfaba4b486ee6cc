// SmoothQuant-style per-channel smoothing before int8 quantization. DynamicQuantizeMatMul quantizes
// activations per tensor, so one outlier channel (trained denoisers have them: the SwiGLU product
// silu(h·w1)·(h·w3) reaches ~100× its median) costs every other channel its resolution. For a
// matmul input X with channels j, X·W = (X·diag(1/s))·(diag(s)·W); the 1/s is folded into what
// produces X, so the float function is unchanged and outliers move into the per-column-quantized
// weights. s_j = sqrt(max|X_j| / max_c |W_jc|) (α = ½). Folds per block p (MODEL-SPEC names):
//   attn_norm → attn.wq|wk|wv rows;  attn.wv columns → attn.wo rows;
//   cross_norm → cross.wq rows;      cross.wv columns → cross.wo rows;
//   mlp_norm → mlp.w1|w3 rows;       mlp.w3 columns → mlp.w2 rows.
// cross.wk/wv read the condition directly (nothing to fold into) and stay unsmoothed.
import * as ort from "onnxruntime-node";
import type { ModelConfig } from "@ldtext/core";
import { createSession } from "@ldtext/core/onnx";
import { buildDenoiser } from "../networks/graphs.ts";
import type { WeightMap, WeightTensor } from "@ldtext/core";
import { DataType } from "../onnx/proto.ts";

/** Weight name → max |input| per input channel, over calibration inputs. */
export type ActivationRanges = Map<string, Float32Array>;

interface Fold {
  /** Consumers whose rows are multiplied by s (they share the input). */
  rows: string[];
  /** Where 1/s goes: a norm gain `[D]` or the columns of a `[K, D]` matrix. */
  into: { gain: string } | { cols: string };
}

function folds(cfg: ModelConfig): Fold[] {
  const out: Fold[] = [];
  for (let i = 0; i < cfg.dif.layers; i++) {
    const p = `dif.blocks.${i}`;
    out.push({ rows: [`${p}.attn.wq`, `${p}.attn.wk`, `${p}.attn.wv`], into: { gain: `${p}.attn_norm` } });
    out.push({ rows: [`${p}.attn.wo`], into: { cols: `${p}.attn.wv` } });
    if (cfg.task === "summarize") {
      out.push({ rows: [`${p}.cross.wq`], into: { gain: `${p}.cross_norm` } });
      out.push({ rows: [`${p}.cross.wo`], into: { cols: `${p}.cross.wv` } });
    }
    out.push({ rows: [`${p}.mlp.w1`, `${p}.mlp.w3`], into: { gain: `${p}.mlp_norm` } });
    out.push({ rows: [`${p}.mlp.w2`], into: { cols: `${p}.mlp.w3` } });
  }
  return out;
}

/** Names whose input ranges smoothing needs (the first consumer of each fold). */
export function smoothedInputs(cfg: ModelConfig): string[] {
  return folds(cfg).map((f) => f.rows[0]);
}

/** Per-channel max |input| of every smoothed matmul, from the fp32 graph run on `feeds`. */
export async function activationRanges(cfg: ModelConfig, weights: WeightMap, feeds: Record<string, ort.Tensor>): Promise<ActivationRanges> {
  const taps = new Map<string, string>();
  const g = buildDenoiser(cfg, weights, { taps });
  const wanted = smoothedInputs(cfg);
  for (const w of wanted) g.output(taps.get(w)!, DataType.FLOAT, ["B", "L", "K"]);
  const { model, data } = g.serialize();
  if (data.length > 0) throw new Error("expected inline weights");
  const s = await createSession(model, { optimization: "basic", threads: 1 });
  const ranges: ActivationRanges = new Map();
  try {
    const out = await s.run(feeds, wanted.map((w) => taps.get(w)!));
    for (const w of wanted) {
      const t = out[taps.get(w)!];
      const k = t.dims[t.dims.length - 1];
      const x = t.data as Float32Array;
      const r = new Float32Array(k);
      for (let i = 0; i < x.length; i++) {
        const j = i % k;
        const a = Math.abs(x[i]);
        if (a > r[j]) r[j] = a;
      }
      ranges.set(w, r);
    }
  } finally {
    await s.release();
  }
  return ranges;
}

/** The weight map with every fold applied (the float function is unchanged up to rounding). */
export function smoothWeights(cfg: ModelConfig, weights: WeightMap, ranges: ActivationRanges, alpha = 0.5): Map<string, WeightTensor> {
  const out = new Map<string, WeightTensor>();
  for (const [k, v] of weights) out.set(k, v);
  const copy = (name: string): WeightTensor => {
    const w = out.get(name);
    if (!w) throw new Error(`smoothing: weight ${name} is missing`);
    if (w === weights.get(name)) {
      const c = { shape: w.shape, data: new Float32Array(w.data) };
      out.set(name, c);
      return c;
    }
    return w;
  };
  for (const f of folds(cfg)) {
    const act = ranges.get(f.rows[0]);
    if (!act) throw new Error(`smoothing: no activation range for ${f.rows[0]}`);
    const k = act.length;
    // s from the original weights (every fold keeps the function, so the ranges stay valid)
    const s = new Float32Array(k);
    for (let j = 0; j < k; j++) {
      let wmax = 0;
      for (const r of f.rows) {
        const w = weights.get(r)!;
        const n = w.shape[1];
        for (let c = 0; c < n; c++) wmax = Math.max(wmax, Math.abs(w.data[j * n + c]));
      }
      s[j] = act[j] > 0 && wmax > 0 ? Math.max(1e-2, Math.min(1e2, Math.pow(act[j], alpha) / Math.pow(wmax, 1 - alpha))) : 1;
    }
    for (const r of f.rows) {
      const w = copy(r);
      const n = w.shape[1];
      for (let j = 0; j < k; j++) for (let c = 0; c < n; c++) w.data[j * n + c] *= s[j];
    }
    if ("gain" in f.into) {
      const g = copy(f.into.gain);
      for (let j = 0; j < k; j++) g.data[j] /= s[j];
    } else {
      const w = copy(f.into.cols);
      const n = w.shape[1];
      if (n !== k) throw new Error(`smoothing: ${f.into.cols} has ${n} columns, the input ${k} channels`);
      for (let r = 0; r < w.shape[0]; r++) for (let j = 0; j < k; j++) w.data[r * n + j] /= s[j];
    }
  }
  return out;
}
