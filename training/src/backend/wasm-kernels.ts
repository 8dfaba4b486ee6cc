// Swaps the project's kernels into tfjs's kernel registry for the wasm backend (and back).
// Must run after `tf.setBackend("wasm")` / `tf.ready()`: the registry is global, and the engine looks
// a kernel up on every op call, so a swap takes effect immediately. `setupFunc`s are only run when a
// backend initializes, so these kernels need none.
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig } from "@tensorflow/tfjs";
import type { Blas } from "./blas.ts";
import { blasBatchMatMulConfig } from "./kernels/batch-matmul-blas.ts";
import { blasFusedMatMulConfig } from "./kernels/fused-matmul-blas.ts";
import { unsortedSegmentSumConfig } from "./kernels/unsorted-segment-sum.ts";
import { zeroCopyCastConfig, zeroCopyIdentityConfig } from "./kernels/zero-copy.ts";
import { fusedWasmKernelConfigs, loadFusedWasm } from "./kernels/fused-wasm.ts";
import { broadcastWasmKernelConfigs } from "./kernels/broadcast-wasm.ts";
import { xnnpackBatchMatMulConfig } from "./kernels/batch-matmul-xnnpack.ts";

export interface WasmKernelChoice {
  /** OpenBLAS-backed matmuls; null keeps wasm's own (XNNPACK for 2-D, a scalar loop otherwise). */
  blas: Blas | null;
  /** Without BLAS: route transposed / batch-folded products to XNNPACK (default true). */
  xnnpackTransposed?: boolean;
  /** Zero-copy Identity / same-dtype Cast (default true; pure JS, no native code). */
  zeroCopy?: boolean;
  /** Fused kernels behind training/src/ops (cross-entropy, AdamW, EMA, Σx², RMSNorm, SwiGLU) and SIMD
   *  broadcast Add/Multiply / leading-axes Sum: native/fused.wasm when it loads, JS otherwise (default true). */
  fused?: boolean;
}

/** Stock configs we replaced, to restore them (kernel name → config, or null when wasm had none). */
const replaced = new Map<string, KernelConfig | null>();

function swapIn(config: KernelConfig): void {
  const name = config.kernelName;
  if (!replaced.has(name)) {
    let stock: KernelConfig | null = null;
    try {
      stock = tf.getKernel(name, "wasm") ?? null;
    } catch {
      stock = null;
    }
    replaced.set(name, stock);
  }
  try {
    tf.unregisterKernel(name, "wasm");
  } catch {
    // not registered: nothing to remove
  }
  tf.registerKernel(config);
}

/**
 * Installs the project's wasm kernels and returns labels of what is active, e.g.
 * `["BatchMatMul:openblas", "_FusedMatMul:openblas", "UnsortedSegmentSum:js"]`.
 * Idempotent; a second call with a different choice replaces the first.
 */
export function installWasmKernels(choice: WasmKernelChoice): string[] {
  if (tf.getBackend() !== "wasm") throw new Error(`installWasmKernels needs the wasm backend active, got ${tf.getBackend()}`);
  uninstallWasmKernels();
  const active: string[] = [];
  // Required, not an optimization: wasm has no UnsortedSegmentSum (the gradient of gather).
  swapIn(unsortedSegmentSumConfig);
  active.push("UnsortedSegmentSum:js");
  if (choice.zeroCopy !== false) {
    swapIn(zeroCopyIdentityConfig(replacedOrCurrent("Identity")));
    active.push("Identity:zero-copy");
    const stockCast = replacedOrCurrent("Cast");
    if (stockCast !== null) {
      swapIn(zeroCopyCastConfig(stockCast));
      active.push("Cast:zero-copy");
    }
  }
  if (choice.fused !== false) {
    // Only the SIMD module: the JS loops of fused-js.ts measured slower than tfjs's own op chains
    // (cross-entropy 1.26 s vs 0.96 s, AdamW 0.50 s vs 0.36–0.51 s per step), so without the module
    // the ops in training/src/ops fall back to tfjs ops.
    const mod = loadFusedWasm(tf.backend() as unknown as Parameters<typeof loadFusedWasm>[0]);
    if (mod !== null) {
      for (const config of [...fusedWasmKernelConfigs(mod), ...broadcastWasmKernelConfigs(mod, replacedOrCurrent)]) {
        swapIn(config);
        active.push(`${config.kernelName}:wasm-simd`);
      }
    }
  }
  if (choice.blas === null && choice.xnnpackTransposed !== false) {
    const stockMatMul = replacedOrCurrent("BatchMatMul");
    const stockTranspose = replacedOrCurrent("Transpose");
    if (stockMatMul !== null && stockTranspose !== null) {
      swapIn(xnnpackBatchMatMulConfig(stockMatMul, stockTranspose));
      active.push("BatchMatMul:xnnpack-transposed");
    }
  }
  if (choice.blas !== null) {
    swapIn(blasBatchMatMulConfig(choice.blas.sgemm));
    active.push("BatchMatMul:openblas");
    const stockFused = replacedOrCurrent("_FusedMatMul");
    if (stockFused !== null) {
      swapIn(blasFusedMatMulConfig(choice.blas.sgemm, stockFused));
      active.push("_FusedMatMul:openblas");
    }
  }
  return active;
}

function replacedOrCurrent(name: string): KernelConfig | null {
  if (replaced.has(name)) return replaced.get(name) ?? null;
  try {
    return tf.getKernel(name, "wasm") ?? null;
  } catch {
    return null;
  }
}

/** Puts wasm's stock kernels back (and removes the ones wasm never had). */
export function uninstallWasmKernels(): void {
  for (const [name, stock] of replaced) {
    try {
      tf.unregisterKernel(name, "wasm");
    } catch {
      // already gone
    }
    if (stock !== null) tf.registerKernel(stock);
  }
  replaced.clear();
}
