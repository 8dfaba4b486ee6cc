// The fused kernels of fused-js.ts, run by native/fused.wasm (C compiled with SIMD128; sources and
// build script beside it) on the tfjs wasm backend's own memory: the module imports that memory,
// so tensors are passed as heap offsets and nothing is copied. JS versions stay the fallback when
// the module cannot be instantiated (e.g. no SIMD) or a shape does not suit it.
import { readFileSync } from "node:fs";
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";
import type { WasmBackendLike } from "../wasm-heap.ts";
import { FUSED_KERNELS, fusedJsKernelConfigs } from "./fused-js.ts";

import type { BroadcastExports } from "./broadcast-wasm.ts";

export interface FusedExports extends BroadcastExports {
  adamw(p: number, g: number, m: number, v: number, po: number, mo: number, vo: number, n: number, b1: number, b2: number, lr: number, eps: number, ib1: number, ib2: number, keep: number, gs: number): void;
  ema(e: number, p: number, o: number, n: number, k: number): void;
  sumsq(x: number, n: number): number;
  xent(x: number, labels: number, w: number, grad: number, stats: number, n: number, v: number): void;
  rmsnorm_fwd(x: number, g: number, y: number, r: number, rows: number, d: number, eps: number): void;
  rmsnorm_bwd(dy: number, x: number, g: number, r: number, dx: number, dg: number, rows: number, d: number): void;
  swiglu_fwd(a: number, b: number, y: number, n: number): void;
  swiglu_bwd(dy: number, a: number, b: number, da: number, db: number, n: number): void;
}

interface BackendWithMemory extends WasmBackendLike {
  wasm: WasmBackendLike["wasm"] & { asm?: { memory?: WebAssembly.Memory } };
}

interface Args<I> {
  inputs: I;
  backend: BackendWithMemory;
  attrs: NamedAttrMap;
}

function offset(backend: WasmBackendLike, t: TensorInfo): number {
  const d = backend.dataIdMap.get(t.dataId);
  if (d === undefined) throw new Error("tensor is not on the wasm backend");
  return d.memoryOffset;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Instantiates fused.wasm on the backend's memory; null when that is not possible here. */
export function loadFusedWasm(backend: BackendWithMemory): FusedExports | null {
  const memory = backend.wasm.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  try {
    const bytes = readFileSync(new URL("../native/fused.wasm", import.meta.url));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    return instance.exports as unknown as FusedExports;
  } catch {
    return null;
  }
}

export function fusedWasmKernelConfigs(mod: FusedExports): KernelConfig[] {
  const js = new Map(fusedJsKernelConfigs.map((c) => [c.kernelName, c.kernelFunc as unknown as (args: Args<unknown>) => unknown]));

  const adamw = ({ inputs, backend, attrs }: Args<{ p: TensorInfo; g: TensorInfo; m: TensorInfo; v: TensorInfo }>): TensorInfo[] => {
    const shape = inputs.p.shape;
    const outs = [backend.makeOutput(shape, "float32"), backend.makeOutput(shape, "float32"), backend.makeOutput(shape, "float32")];
    const n = size(shape);
    mod.adamw(
      offset(backend, inputs.p), offset(backend, inputs.g), offset(backend, inputs.m), offset(backend, inputs.v),
      offset(backend, outs[0]), offset(backend, outs[1]), offset(backend, outs[2]), n,
      Number(attrs.beta1), Number(attrs.beta2), Number(attrs.lr), Number(attrs.eps),
      1 / Number(attrs.biasCorrection1), 1 / Number(attrs.biasCorrection2), 1 - Number(attrs.lr) * Number(attrs.weightDecay), Number(attrs.gradScale),
    );
    return outs;
  };

  const ema = ({ inputs, backend, attrs }: Args<{ ema: TensorInfo; p: TensorInfo }>): TensorInfo => {
    const out = backend.makeOutput(inputs.ema.shape, "float32");
    mod.ema(offset(backend, inputs.ema), offset(backend, inputs.p), offset(backend, out), size(inputs.ema.shape), 1 - Number(attrs.decay));
    return out;
  };

  const sumSquares = ({ inputs, backend }: Args<{ x: TensorInfo }>): TensorInfo => {
    const s = mod.sumsq(offset(backend, inputs.x), size(inputs.x.shape));
    const out = backend.makeOutput([], "float32");
    backend.wasm.HEAPF32[offset(backend, out) / 4] = s;
    return out;
  };

  const xentJs = js.get(FUSED_KERNELS.softmaxXent)!;
  const softmaxXent = (args: Args<{ logits: TensorInfo; labels: TensorInfo; weights: TensorInfo }>): unknown => {
    const { inputs, backend } = args;
    const [n, v] = inputs.logits.shape;
    if (v % 4 !== 0) return xentJs(args);
    const labelsAt = offset(backend, inputs.labels) / 4;
    for (let r = 0; r < n; r++) {
      const label = backend.wasm.HEAP32[labelsAt + r];
      if (label < 0 || label >= v) throw new Error(`softmaxCrossEntropy: label ${label} outside [0, ${v})`);
    }
    const loss = backend.makeOutput([], "float32");
    const grad = backend.makeOutput([n, v], "float32");
    const stats = backend.makeOutput([n, 2], "float32");
    const x = offset(backend, inputs.logits);
    mod.xent(x, offset(backend, inputs.labels), offset(backend, inputs.weights), offset(backend, grad), offset(backend, stats), n, v);
    // Views after the last allocation (heap growth replaces the buffer).
    const heap = backend.wasm.HEAPF32;
    const labels = backend.wasm.HEAP32;
    const st = offset(backend, stats) / 4;
    const w = offset(backend, inputs.weights) / 4;
    let total = 0;
    for (let r = 0; r < n; r++) {
      const label = labels[labelsAt + r];
      total += heap[w + r] * (Math.log(heap[st + 2 * r + 1]) + heap[st + 2 * r] - heap[x / 4 + r * v + label]);
    }
    heap[offset(backend, loss) / 4] = total;
    backend.disposeData(stats.dataId);
    return [loss, grad];
  };

  const rmsNorm = ({ inputs, backend, attrs }: Args<{ x: TensorInfo; g: TensorInfo }>): TensorInfo[] => {
    const d = inputs.x.shape[inputs.x.shape.length - 1];
    const rows = size(inputs.x.shape) / d;
    const y = backend.makeOutput(inputs.x.shape, "float32");
    const r = backend.makeOutput([rows], "float32");
    mod.rmsnorm_fwd(offset(backend, inputs.x), offset(backend, inputs.g), offset(backend, y), offset(backend, r), rows, d, Number(attrs.eps));
    return [y, r];
  };

  const rmsNormGrad = ({ inputs, backend }: Args<{ dy: TensorInfo; x: TensorInfo; g: TensorInfo; r: TensorInfo }>): TensorInfo[] => {
    const d = inputs.x.shape[inputs.x.shape.length - 1];
    const rows = size(inputs.x.shape) / d;
    const dx = backend.makeOutput(inputs.x.shape, "float32");
    const dg = backend.makeOutput([d], "float32");
    mod.rmsnorm_bwd(offset(backend, inputs.dy), offset(backend, inputs.x), offset(backend, inputs.g), offset(backend, inputs.r), offset(backend, dx), offset(backend, dg), rows, d);
    return [dx, dg];
  };

  const swiGlu = ({ inputs, backend }: Args<{ a: TensorInfo; b: TensorInfo }>): TensorInfo => {
    const y = backend.makeOutput(inputs.a.shape, "float32");
    mod.swiglu_fwd(offset(backend, inputs.a), offset(backend, inputs.b), offset(backend, y), size(inputs.a.shape));
    return y;
  };

  const swiGluGrad = ({ inputs, backend }: Args<{ dy: TensorInfo; a: TensorInfo; b: TensorInfo }>): TensorInfo[] => {
    const da = backend.makeOutput(inputs.a.shape, "float32");
    const db = backend.makeOutput(inputs.a.shape, "float32");
    mod.swiglu_bwd(offset(backend, inputs.dy), offset(backend, inputs.a), offset(backend, inputs.b), offset(backend, da), offset(backend, db), size(inputs.a.shape));
    return [da, db];
  };

  const config = (kernelName: string, f: unknown): KernelConfig => ({ kernelName, backendName: "wasm", kernelFunc: f as KernelFunc });
  return [
    config(FUSED_KERNELS.softmaxXent, softmaxXent),
    config(FUSED_KERNELS.adamw, adamw),
    config(FUSED_KERNELS.ema, ema),
    config(FUSED_KERNELS.sumSquares, sumSquares),
    config(FUSED_KERNELS.rmsNorm, rmsNorm),
    config(FUSED_KERNELS.rmsNormGrad, rmsNormGrad),
    config(FUSED_KERNELS.swiGlu, swiGlu),
    config(FUSED_KERNELS.swiGluGrad, swiGluGrad),
  ];
}
