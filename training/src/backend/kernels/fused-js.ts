// Names of the project's fused kernels, and the cross-entropy kernel in JS over the wasm heap: the
// SIMD module's (fused-wasm.ts) fallback for V not a multiple of 4. JS versions are not registered
// on their own: JS loops measured slower than tfjs's op chains (see wasm-kernels.ts).
//   LdSoftmaxXent  logits [N,V], labels int32 [N], rowWeights [N] → loss [], dLoss/dlogits [N,V]
//   LdAdamW        p, g, m, v (same shape) → p', m', v'   (AdamW with decoupled decay, grad scale)
//   LdEma          ema, p → ema + (p − ema)·(1 − decay)
//   LdSumSquares   x → Σx² (float64 accumulation, returned as float32 [])
//   LdRmsNorm(Grad), LdSwiGlu(Grad): see ops/layers.ts
// Outputs are always new tensors (never in place): tfjs tensors stay immutable, so weight caches
// keyed by tensor id (XNNPACK) and zero-copy clones stay valid. The ops in training/src/ops use
// tfjs ops on backends without these kernels.
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";
import { f32View, i32View, type WasmBackendLike } from "../wasm-heap.ts";

export const FUSED_KERNELS = {
  softmaxXent: "LdSoftmaxXent",
  adamw: "LdAdamW",
  ema: "LdEma",
  sumSquares: "LdSumSquares",
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

function config(kernelName: string, f: unknown): KernelConfig {
  return { kernelName, backendName: "wasm", kernelFunc: f as KernelFunc };
}

export const fusedJsKernelConfigs: KernelConfig[] = [config(FUSED_KERNELS.softmaxXent, softmaxXent)];
