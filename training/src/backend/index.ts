// Picks and initializes the TensorFlow.js backend for training (`--backend`), installing the
// project's CPU kernels on wasm. `auto` prefers a native TensorFlow (GPU, then CPU), then wasm with
// OpenBLAS matmuls, then plain wasm. tfjs-node(-gpu) are optional: their install downloads
// libtensorflow, so they are looked for at run time and skipped when absent.
import * as tf from "@tensorflow/tfjs";
import { blasLoadError, loadBlas } from "./blas.ts";
import { installWasmKernels, uninstallWasmKernels } from "./wasm-kernels.ts";
import { installLeanBackprop } from "./lean-backprop.ts";

export const BACKEND_KINDS = ["auto", "tensorflow-gpu", "tensorflow", "wasm", "cpu"] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

export interface BackendInfo {
  /** What runs: a native TensorFlow (GPU or CPU build), tfjs's wasm backend, or its pure-JS cpu backend. */
  backend: "tensorflow-gpu" | "tensorflow" | "wasm" | "cpu";
  /** The project's kernels active on top of the backend, e.g. "BatchMatMul:openblas". */
  kernels: string[];
  /** OpenBLAS threads when the BLAS kernels are active. */
  blasThreads?: number;
  /** Why a preferred option was skipped (missing package, failed native load). */
  notes: string[];
}

export interface InitBackendOptions {
  /** OpenBLAS threads (default: $OPENBLAS_NUM_THREADS, else 2). Fixed at the first load in a process. */
  blasThreads?: number;
  /** Install the OpenBLAS kernels on wasm when nblas loads (default true). False = plain wasm. */
  nativeKernels?: boolean;
  /** Free activation gradients and saved tensors during backprop (default true; see lean-backprop.ts). */
  leanBackprop?: boolean;
  /** Where the one-line summary goes (default console.log); null = silent. */
  log?: ((line: string) => void) | null;
}

/** Dynamic import by a computed name, so TypeScript and bundlers do not require the package to exist. */
async function importOptional(name: string): Promise<boolean> {
  try {
    await import(name);
    return true;
  } catch {
    return false;
  }
}

async function tryTensorflow(gpu: boolean, notes: string[]): Promise<boolean> {
  const pkg = gpu ? "@tensorflow/tfjs-node-gpu" : "@tensorflow/tfjs-node";
  if (!(await importOptional(pkg))) {
    notes.push(`${pkg} not installed`);
    return false;
  }
  // Both packages register their backend under the name "tensorflow".
  const ok = await tf.setBackend("tensorflow");
  if (!ok) notes.push(`${pkg} loaded but its backend failed to initialize`);
  return ok;
}

async function setWasm(): Promise<void> {
  await import("@tensorflow/tfjs-backend-wasm");
  if (!(await tf.setBackend("wasm"))) throw new Error("the wasm backend failed to initialize");
  await tf.ready();
}

export function describeBackend(info: BackendInfo): string {
  const kernels = info.kernels.length > 0 ? info.kernels.join(", ") : "stock";
  const threads = info.blasThreads !== undefined ? ` (OpenBLAS ${info.blasThreads} threads)` : "";
  const notes = info.notes.length > 0 ? `; ${info.notes.join("; ")}` : "";
  return `[backend] ${info.backend} · kernels: ${kernels}${threads}${notes}`;
}

/**
 * Initializes the backend `kind` and returns what was chosen. Throws with a clear message when an
 * explicitly requested backend is unavailable; `auto` never throws for a missing optional package.
 */
export async function initBackend(kind: BackendKind = "auto", opts: InitBackendOptions = {}): Promise<BackendInfo> {
  if (!(BACKEND_KINDS as readonly string[]).includes(kind)) {
    throw new Error(`unknown backend "${kind}" (expected one of ${BACKEND_KINDS.join(", ")})`);
  }
  const notes: string[] = [];
  let info: BackendInfo | undefined;
  if (tf.getBackend() === "wasm") uninstallWasmKernels();

  if (kind === "tensorflow-gpu" || kind === "tensorflow") {
    if (!(await tryTensorflow(kind === "tensorflow-gpu", notes))) {
      throw new Error(`backend "${kind}" unavailable: ${notes.join("; ")}`);
    }
    info = { backend: kind, kernels: [], notes };
  } else if (kind === "auto") {
    if (await tryTensorflow(true, notes)) info = { backend: "tensorflow-gpu", kernels: [], notes };
    else if (await tryTensorflow(false, notes)) info = { backend: "tensorflow", kernels: [], notes };
  } else if (kind === "cpu") {
    if (!(await tf.setBackend("cpu"))) throw new Error("the cpu backend failed to initialize");
    await tf.ready();
    info = { backend: "cpu", kernels: [], notes };
  }

  if (info === undefined) {
    // wasm, explicitly or as auto's fallback
    await setWasm();
    const blas = opts.nativeKernels === false ? null : loadBlas(opts.blasThreads ?? undefined);
    if (opts.nativeKernels !== false && blas === null) notes.push(`OpenBLAS kernels off: ${blasLoadError() ?? "nblas did not load"}`);
    if (blas !== null && opts.blasThreads !== undefined && blas.threads !== opts.blasThreads) {
      notes.push(`OpenBLAS already started with ${blas.threads} threads (asked ${opts.blasThreads})`);
    }
    const kernels = installWasmKernels({ blas });
    info = { backend: "wasm", kernels, notes, ...(blas !== null ? { blasThreads: blas.threads } : {}) };
  }

  if (opts.leanBackprop !== false && installLeanBackprop()) info.kernels.push("backprop:lean");
  const log = opts.log === undefined ? console.log : opts.log;
  if (log !== null) log(describeBackend(info));
  return info;
}

export { DEFAULT_BLAS_THREADS, loadBlas } from "./blas.ts";
export { installWasmKernels, uninstallWasmKernels } from "./wasm-kernels.ts";
export { installLeanBackprop, uninstallLeanBackprop } from "./lean-backprop.ts";
export { blasMatMulStats } from "./kernels/batch-matmul-blas.ts";
