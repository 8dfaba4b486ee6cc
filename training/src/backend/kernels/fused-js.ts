// Fused training kernels for the wasm backend, in JS over the wasm heap (one pass each instead of
// a chain of tfjs elementwise kernels, each of which reads and writes the whole tensor):
//   LdSoftmaxXent  logits [N,V], labels int32 [N], rowWeights [N] → loss [], dLoss/dlogits [N,V]
//   LdAdamW        p, g, m, v (same shape) → p', m', v'   (AdamW with decoupled decay, grad scale)
//   LdEma          ema, p → ema + (p − ema)·(1 − decay)
//   LdSumSquares   x → Σx² (float64 accumulation, returned as float32 [])
// Outputs are new tensors (never in place): tfjs tensors stay immutable, so weight caches keyed by
// tensor id (XNNPACK) and zero-copy clones stay valid. ops/fused.ts falls back to tfjs ops on
// backends without these kernels.
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";
import { f32View, i32View, type WasmBackendLike } from "../wasm-heap.ts";

export const FUSED_KERNELS = {
  softmaxXent: "LdSoftmaxXent",
  adamw: "LdAdamW",
  ema: "LdEma",
  sumSquares: "LdSumSquares",
  // SIMD module only (ops fall back to tfjs ops without it):
  rmsNorm: "LdRmsNorm",
  rmsNormGrad: "LdRmsNormGrad",
  swiGlu: "LdSwiGlu",
  swiGluGrad: "LdSwiGluGrad",
} as const;

interface Args<I> {
  inputs: I;
  backend: WasmBackendLike;
  attrs: NamedAttrMap;
}

function softmaxXent({ inputs, backend }: Args<{ logits: TensorInfo; labels: TensorInfo; weights: TensorInfo }>): TensorInfo[] {
  const [n, v] = inputs.logits.shape;
  const labels = i32View(backend, inputs.labels);
  for (let r = 0; r < n; r++) {
    if (labels[r] < 0 || labels[r] >= v) throw new Error(`softmaxCrossEntropy: label ${labels[r]} outside [0, ${v})`);
  }
  const loss = backend.makeOutput([], "float32");
  const grad = backend.makeOutput([n, v], "float32");
  const x = f32View(backend, inputs.logits);
  const y = i32View(backend, inputs.labels);
  const w = f32View(backend, inputs.weights);
  const g = f32View(backend, grad);
  let total = 0;
  for (let r = 0; r < n; r++) {
    const o = r * v;
    let max = -Infinity;
    for (let j = 0; j < v; j++) if (x[o + j] > max) max = x[o + j];
    let sum = 0;
    for (let j = 0; j < v; j++) {
      const e = Math.exp(x[o + j] - max);
      g[o + j] = e;
      sum += e;
    }
    const label = y[r];
    const wr = w[r];
    total += wr * (Math.log(sum) + max - x[o + label]);
    // d(Σ wᵣ·lossᵣ)/dlogits = wᵣ·(softmax − onehot)
    const scale = wr / sum;
    for (let j = 0; j < v; j++) g[o + j] *= scale;
    g[o + label] -= wr;
  }
  f32View(backend, loss)[0] = total;
  return [loss, grad];
}

function adamw({ inputs, backend, attrs }: Args<{ p: TensorInfo; g: TensorInfo; m: TensorInfo; v: TensorInfo }>): TensorInfo[] {
  const shape = inputs.p.shape;
  const p1 = backend.makeOutput(shape, "float32");
  const m1 = backend.makeOutput(shape, "float32");
  const v1 = backend.makeOutput(shape, "float32");
  const p = f32View(backend, inputs.p);
  const g = f32View(backend, inputs.g);
  const m = f32View(backend, inputs.m);
  const v = f32View(backend, inputs.v);
  const po = f32View(backend, p1);
  const mo = f32View(backend, m1);
  const vo = f32View(backend, v1);
  const b1 = Number(attrs.beta1);
  const b2 = Number(attrs.beta2);
  const lr = Number(attrs.lr);
  const eps = Number(attrs.eps);
  const gradScale = Number(attrs.gradScale);
  const invBc1 = 1 / Number(attrs.biasCorrection1);
  const invBc2 = 1 / Number(attrs.biasCorrection2);
  const keep = 1 - lr * Number(attrs.weightDecay);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] * gradScale;
    const mi = m[i] * b1 + gi * (1 - b1);
    const vi = v[i] * b2 + gi * gi * (1 - b2);
    mo[i] = mi;
    vo[i] = vi;
    po[i] = p[i] * keep - lr * ((mi * invBc1) / (Math.sqrt(vi * invBc2) + eps));
  }
  return [p1, m1, v1];
}

function ema({ inputs, backend, attrs }: Args<{ ema: TensorInfo; p: TensorInfo }>): TensorInfo {
  const out = backend.makeOutput(inputs.ema.shape, "float32");
  const e = f32View(backend, inputs.ema);
  const p = f32View(backend, inputs.p);
  const o = f32View(backend, out);
  const k = 1 - Number(attrs.decay);
  for (let i = 0; i < e.length; i++) o[i] = e[i] + (p[i] - e[i]) * k;
  return out;
}

function sumSquares({ inputs, backend }: Args<{ x: TensorInfo }>): TensorInfo {
  const out = backend.makeOutput([], "float32");
  const x = f32View(backend, inputs.x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  f32View(backend, out)[0] = s;
  return out;
}

function config(kernelName: string, f: unknown): KernelConfig {
  return { kernelName, backendName: "wasm", kernelFunc: f as KernelFunc };
}

export const fusedJsKernelConfigs: KernelConfig[] = [
  config(FUSED_KERNELS.softmaxXent, softmaxXent),
  config(FUSED_KERNELS.adamw, adamw),
  config(FUSED_KERNELS.ema, ema),
  config(FUSED_KERNELS.sumSquares, sumSquares),
];
