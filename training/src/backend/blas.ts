// Loads OpenBLAS's sgemm through the optional npm package `nblas` (a thin N-API binding built at
// install time against the system's libopenblas). Optional on purpose: when the native build is
// missing (no compiler, no libopenblas) `loadBlas` returns null and the caller keeps the stock
// kernels — slower, but correct.
import { createRequire } from "node:module";

/** CBLAS transpose flags (cblas.h: CblasNoTrans = 111, CblasTrans = 112). */
export const NO_TRANS = 111;
export const TRANS = 112;

/** Row-major single-precision GEMM: C = alpha·op(A)·op(B) + beta·C (cblas_sgemm, CblasRowMajor). */
export type Sgemm = (
  transA: number,
  transB: number,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
) => void;

export interface Blas {
  sgemm: Sgemm;
  /** Threads OpenBLAS was started with (it reads OPENBLAS_NUM_THREADS once, when the library loads). */
  threads: number;
}

export const DEFAULT_BLAS_THREADS = 2;

let loaded: Blas | null | undefined;
let loadError: string | undefined;

/**
 * Loads nblas once per process. OpenBLAS fixes its thread pool when the shared library is first
 * loaded, so the thread count only takes effect on the first call; later calls return the same
 * instance (and its real thread count).
 */
export function loadBlas(threads?: number): Blas | null {
  if (loaded !== undefined) return loaded;
  const fromEnv = Number.parseInt(process.env.OPENBLAS_NUM_THREADS ?? "", 10);
  const n = threads ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_BLAS_THREADS);
  // OpenBLAS reads this in its library constructor; Node's process.env writes through to setenv().
  process.env.OPENBLAS_NUM_THREADS = String(n);
  try {
    const mod = createRequire(import.meta.url)("nblas") as { sgemm?: unknown };
    if (typeof mod.sgemm !== "function") throw new Error("nblas has no sgemm export");
    const sgemm = mod.sgemm as Sgemm;
    // A 2x2 self-check: a broken build (wrong BLAS symbol binding) must not silently corrupt training.
    const c = new Float32Array(4);
    sgemm(NO_TRANS, TRANS, 2, 2, 2, 1, new Float32Array([1, 2, 3, 4]), 2, new Float32Array([5, 6, 7, 8]), 2, 0, c, 2);
    if (c[0] !== 17 || c[1] !== 23 || c[2] !== 39 || c[3] !== 53) throw new Error(`sgemm self-check failed: ${c.join(",")}`);
    loaded = { sgemm, threads: n };
  } catch (err) {
    loadError = err instanceof Error ? err.message : String(err);
    loaded = null;
  }
  return loaded;
}

/** Why the last `loadBlas` returned null (undefined when it loaded or was never tried). */
export function blasLoadError(): string | undefined {
  return loadError;
}
