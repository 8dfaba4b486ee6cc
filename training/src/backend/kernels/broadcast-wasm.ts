// Add / Multiply with a broadcast operand, and Sum over leading axes, on native/fused.wasm.
// Why: tfjs's wasm binary kernels take a slow generic path whenever an operand broadcasts (the
// logits bias add [2048, 8192] + [8192] cost more than the vocabulary matmul), and its Sum transposes
// the whole tensor when the reduced axes are not the innermost ones (every bias/gain gradient).
// Everything else goes to the stock kernels.
import { backend_util } from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";
import type { WasmBackendLike } from "../wasm-heap.ts";

export interface BroadcastExports {
  colsum(x: number, out: number, rows: number, cols: number): void;
  bcast_trailing(a: number, b: number, out: number, n: number, bsize: number, op: number): void;
  bcast_rows(a: number, b: number, out: number, rows: number, cols: number, op: number): void;
}

interface Args {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackendLike;
  attrs: NamedAttrMap;
}

type Kernel = (args: Args) => TensorInfo;

function offset(backend: WasmBackendLike, t: TensorInfo): number {
  const d = backend.dataIdMap.get(t.dataId);
  if (d === undefined) throw new Error("tensor is not on the wasm backend");
  return d.memoryOffset;
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** `small` repeats along `big`'s leading axes (after dropping its own leading 1s). */
function isTrailing(big: readonly number[], small: readonly number[]): boolean {
  let s = small.slice();
  while (s.length > 0 && s[0] === 1) s = s.slice(1);
  if (s.length === 0 || s.length > big.length) return false;
  const off = big.length - s.length;
  return s.every((d, i) => d === big[off + i]);
}

/** `small` is `big` with its last axis 1: one value per row. */
function isRows(big: readonly number[], small: readonly number[]): boolean {
  return small.length === big.length && small[small.length - 1] === 1 && small.slice(0, -1).every((d, i) => d === big[i]);
}

function binaryConfig(name: "Add" | "Multiply", op: number, mod: BroadcastExports, stock: KernelConfig): KernelConfig {
  const stockFunc = stock.kernelFunc as unknown as Kernel;
  const kernel = (args: Args): TensorInfo => {
    const { a, b } = args.inputs;
    const { backend } = args;
    if (a.dtype !== "float32" || b.dtype !== "float32" || tfArraysEqual(a.shape, b.shape)) return stockFunc(args);
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const n = size(outShape);
    const [big, small] = size(a.shape) === n ? [a, b] : size(b.shape) === n ? [b, a] : [null, null];
    if (big === null || small === null || n === 0) return stockFunc(args);
    const smallSize = size(small.shape);
    if (smallSize === 1) {
      const out = backend.makeOutput(outShape, "float32");
      mod.bcast_rows(offset(backend, big), offset(backend, small), offset(backend, out), 1, n, op);
      return out;
    }
    if (isTrailing(big.shape, small.shape)) {
      const out = backend.makeOutput(outShape, "float32");
      mod.bcast_trailing(offset(backend, big), offset(backend, small), offset(backend, out), n, smallSize, op);
      return out;
    }
    if (isRows(big.shape, small.shape)) {
      const out = backend.makeOutput(outShape, "float32");
      mod.bcast_rows(offset(backend, big), offset(backend, small), offset(backend, out), smallSize, n / smallSize, op);
      return out;
    }
    return stockFunc(args);
  };
  return { kernelName: name, backendName: "wasm", kernelFunc: kernel as unknown as KernelFunc };
}

function tfArraysEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function sumConfig(mod: BroadcastExports, stock: KernelConfig): KernelConfig {
  const stockFunc = stock.kernelFunc as unknown as Kernel;
  const kernel = (args: Args): TensorInfo => {
    const { x } = args.inputs;
    const rank = x.shape.length;
    const raw = args.attrs.axis;
    if (raw === null || raw === undefined) return stockFunc(args); // all axes
    const axes = (Array.isArray(raw) ? raw : [raw]).map((v) => {
      const a = Number(v);
      return a < 0 ? a + rank : a;
    });
    axes.sort((p, q) => p - q);
    const k = axes.length;
    const leading = k > 0 && k < rank && axes.every((a, i) => a === i);
    if (x.dtype !== "float32" || !leading) return stockFunc(args);
    const rest = x.shape.slice(k);
    const outShape = args.attrs.keepDims === true ? [...new Array<number>(k).fill(1), ...rest] : rest;
    const out = args.backend.makeOutput(outShape, "float32");
    const cols = size(rest);
    if (cols > 0) mod.colsum(offset(args.backend, x), offset(args.backend, out), size(x.shape) / cols, cols);
    return out;
  };
  return { kernelName: "Sum", backendName: "wasm", kernelFunc: kernel as unknown as KernelFunc };
}

/** Configs for the kernels it can take over (each needs the stock one for the other cases). */
export function broadcastWasmKernelConfigs(mod: BroadcastExports, stock: (name: string) => KernelConfig | null): KernelConfig[] {
  const out: KernelConfig[] = [];
  const add = stock("Add");
  const mul = stock("Multiply");
  const sum = stock("Sum");
  if (add) out.push(binaryConfig("Add", 0, mod, add));
  if (mul) out.push(binaryConfig("Multiply", 1, mod, mul));
  if (sum) out.push(sumConfig(mod, sum));
  return out;
}
