// `_FusedMatMul` (tf.fused.matMul: matmul + bias + activation) for the wasm backend on OpenBLAS.
// Why: the stock kernel runs the product through XNNPACK, which caches packed weights by tensor id
// (stale results if a weight's memory is ever updated in place) and falls to a scalar loop when
// transposed. The product goes through the BLAS BatchMatMul; bias and activation are applied in
// place in JS. Cases it does not cover (prelu, a bias that is not a [N] or [1] vector) go to the
// stock kernel.
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";
import type { Sgemm } from "../blas.ts";
import { f32View, type WasmBackendLike } from "../wasm-heap.ts";
import { makeBlasBatchMatMul } from "./batch-matmul-blas.ts";

interface FusedArgs {
  inputs: { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  backend: WasmBackendLike;
  attrs: NamedAttrMap;
}

const SUPPORTED = new Set(["linear", "relu", "relu6", "sigmoid", "elu", "leakyrelu"]);

function applyActivation(y: Float32Array, activation: string, alpha: number): void {
  switch (activation) {
    case "linear":
      return;
    case "relu":
      for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] = 0;
      return;
    case "relu6":
      for (let i = 0; i < y.length; i++) y[i] = Math.min(6, Math.max(0, y[i]));
      return;
    case "sigmoid":
      for (let i = 0; i < y.length; i++) y[i] = 1 / (1 + Math.exp(-y[i]));
      return;
    case "elu":
      for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] = Math.exp(y[i]) - 1;
      return;
    case "leakyrelu":
      for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] *= alpha;
      return;
    default:
      throw new Error(`unsupported activation ${activation}`);
  }
}

export function blasFusedMatMulConfig(sgemm: Sgemm, stock: KernelConfig): KernelConfig {
  const matMul = makeBlasBatchMatMul(sgemm) as unknown as (args: FusedArgs) => TensorInfo;
  const stockFunc = stock.kernelFunc as unknown as (args: FusedArgs) => TensorInfo;
  function fusedMatMul(args: FusedArgs): TensorInfo {
    const { inputs, backend, attrs } = args;
    const activation = String(attrs.activation ?? "linear");
    const bias = inputs.bias;
    const n = attrs.transposeB === true ? inputs.b.shape[inputs.b.shape.length - 2] : inputs.b.shape[inputs.b.shape.length - 1];
    const biasOk = bias == null || (bias.dtype === "float32" && bias.shape.length === 1 && (bias.shape[0] === n || bias.shape[0] === 1));
    if (!SUPPORTED.has(activation) || !biasOk || inputs.preluActivationWeights != null) return stockFunc(args);
    const out = matMul({ inputs: { a: inputs.a, b: inputs.b }, backend, attrs });
    const y = f32View(backend, out);
    if (bias != null) {
      const bv = f32View(backend, bias);
      if (bv.length === 1) {
        const c = bv[0];
        for (let i = 0; i < y.length; i++) y[i] += c;
      } else {
        for (let i = 0; i < y.length; i += n) for (let j = 0; j < n; j++) y[i + j] += bv[j];
      }
    }
    applyActivation(y, activation, Number(attrs.leakyreluAlpha ?? 0.2));
    return out;
  }
  return { kernelName: "_FusedMatMul", backendName: "wasm", kernelFunc: fusedMatMul as unknown as KernelFunc };
}
