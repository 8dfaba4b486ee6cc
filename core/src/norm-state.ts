// The encoder's normalization state (docs/MODEL-SPEC.md "Normalization"): what training's
// Normalizer holds, a checkpoint stores and export builds the encoder graph from. The manifest
// carries it as `normalization` (core's Normalization, with the EMA rate beside it).
import type { NormKind } from "./config.ts";
import type { Normalization } from "./manifest.ts";

export interface NormState {
  kind: NormKind;
  /** Running E[e] and E[e²] (`data`, `batch`), length d; absent before the first training batch and for `sphere` / `layer`. */
  mean?: ArrayLike<number>;
  sq?: ArrayLike<number>;
}

/** The state a manifest's `normalization` describes (statistics as Float32Arrays). */
export function normStateOf(n: Pick<Normalization, "kind" | "mean" | "sq">): NormState {
  return { kind: n.kind, ...(n.mean ? { mean: Float32Array.from(n.mean) } : {}), ...(n.sq ? { sq: Float32Array.from(n.sq) } : {}) };
}

/** `norm` as JSON (statistics as plain arrays): the checkpoint's `norm` and, with `alpha`, the manifest's `normalization`. */
export function normStateJson(norm: NormState): { kind: NormKind; mean?: number[]; sq?: number[] } {
  return { kind: norm.kind, ...(norm.mean ? { mean: Array.from(norm.mean) } : {}), ...(norm.sq ? { sq: Array.from(norm.sq) } : {}) };
}
