// `BatchMatMul` for wasm when OpenBLAS is unavailable. The stock kernel uses XNNPACK only for
// untransposed products with no batch; every transposed product (all weight and input gradients)
// falls to a scalar loop at ~2 GFLOP/s. This kernel materializes the transposes (wasm's Transpose
// kernel) and folds a batched `a` against a shared 2-D `b` into one product, so those reach XNNPACK.
// Batched products with a batched `b` (attention) still use the stock kernel. XNNPACK caches packed
// weights by tensor id — fine here: temporaries get fresh ids and tensors are never written in place.
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";
import type { WasmBackendLike } from "../wasm-heap.ts";

interface Args {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackendLike & { incRef(dataId: object): void };
  attrs: NamedAttrMap;
}
type Kernel = (args: Args) => TensorInfo;

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export function xnnpackBatchMatMulConfig(stockMatMul: KernelConfig, stockTranspose: KernelConfig): KernelConfig {
  const matMul = stockMatMul.kernelFunc as unknown as Kernel;
  const transpose = stockTranspose.kernelFunc as unknown as Kernel;
  const kernel = (args: Args): TensorInfo => {
    const { backend } = args;
    const { a, b } = args.inputs;
    const ta = args.attrs.transposeA === true;
    const tb = args.attrs.transposeB === true;
    const aBatch = size(a.shape.slice(0, -2));
    const bBatch = size(b.shape.slice(0, -2));
    const fold = bBatch === 1 && (aBatch === 1 || !ta);
    if (!fold || (!ta && !tb && aBatch === 1) || a.dtype !== "float32" || b.dtype !== "float32") return matMul(args);
    const k = ta ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1];
    const m = ta ? a.shape[a.shape.length - 1] : size(a.shape) / k;
    const n = tb ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    // 2-D views sharing the inputs' memory (reference counted, like wasm's Reshape).
    const view = (t: TensorInfo, shape: number[]): TensorInfo => {
      backend.incRef(t.dataId);
      return { dataId: t.dataId, shape, dtype: t.dtype };
    };
    const temps: TensorInfo[] = [];
    let a2 = view(a, ta ? [k, m] : [m, k]);
    temps.push(a2);
    if (ta) {
      a2 = transpose({ inputs: { x: a2 }, backend, attrs: { perm: [1, 0] } });
      temps.push(a2);
    }
    let b2 = view(b, tb ? [n, k] : [k, n]);
    temps.push(b2);
    if (tb) {
      b2 = transpose({ inputs: { x: b2 }, backend, attrs: { perm: [1, 0] } });
      temps.push(b2);
    }
    const out = matMul({ inputs: { a: a2, b: b2 }, backend, attrs: { transposeA: false, transposeB: false } });
    for (const t of temps) backend.disposeData(t.dataId);
    const lead = aBatch === 1 ? [] : a.shape.slice(0, -2);
    const rows = ta ? m : a.shape[a.shape.length - 2];
    return { ...out, shape: [...lead, rows, n] };
  };
  return { kernelName: "BatchMatMul", backendName: "wasm", kernelFunc: kernel as unknown as KernelFunc };
}
