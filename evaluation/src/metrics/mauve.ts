// MAUVE (Pillutla et al. 2021), reimplemented from the published algorithm and the reference
// implementation's defaults (mauve-text `compute_mauve`): features of p (generated) and q (human)
// texts → stack [q; p] → L2-normalise rows → PCA keeping 90 % of the variance → k-means with
// k = max(2, round(min(n_p, n_q)/10)), 5 restarts, ≤ 500 iterations → cluster histograms p̂, q̂ →
// divergence curve: for w in linspace(1e-6, 1 − 1e-6, 25), r = w·p̂ + (1−w)·q̂ gives the point
// (exp(−c·KL(q̂‖r)), exp(−c·KL(p̂‖r))) with c = 5, plus the end points (1, 0) and (0, 1) → MAUVE is
// the area under that curve (points sorted by x, trapezoid rule, as mauve-text ≤ 0.3 computes it;
// `area: "symmetric"` gives mauve-text ≥ 0.4's mean of the x- and y-sorted areas).
// Differences from the reference, on purpose: k-means++ seeding instead of faiss's random init;
// points tied in x are ordered by decreasing y (numpy's unstable argsort leaves that order to
// chance), so p̂ = q̂ gives exactly 1.
// Features come from the project's own reference LM, so scores are not comparable to published
// GPT-2-Large-feature MAUVE numbers.
import { checkMatrix, l2NormalizeRows, type FeatureMatrix } from "./matrix.ts";
import { pcaReduce } from "./pca.ts";
import { kmeans } from "./kmeans.ts";

export type CurvePoint = [x: number, y: number];
export type AreaMode = "x" | "symmetric";

export interface DivergenceCurveOptions {
  /** Number of mixture weights (the reference's divergence_curve_discretization_size). */
  points?: number;
  /** The constant c (mauve_scaling_factor). */
  scaling?: number;
}

/** KL(p‖q) in nats; Infinity when p has mass where q has none. */
export function klMultinomial(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new RangeError(`histograms differ in length: ${p.length} vs ${q.length}`);
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] !== 0 && q[i] === 0) return Infinity;
    if (p[i] !== 0) s += p[i] * Math.log(p[i] / q[i]);
  }
  return s;
}

/** numpy.linspace(start, stop, num) */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : start + i * step));
}

/** The divergence curve in the reference's order: (1, 0), the mixtures by increasing w, (0, 1). */
export function divergenceCurve(p: ArrayLike<number>, q: ArrayLike<number>, options: DivergenceCurveOptions = {}): CurvePoint[] {
  const points = options.points ?? 25;
  const c = options.scaling ?? 5;
  const curve: CurvePoint[] = [[1, 0]];
  const r = new Float64Array(p.length);
  for (const w of linspace(1e-6, 1 - 1e-6, points)) {
    for (let i = 0; i < p.length; i++) r[i] = w * p[i] + (1 - w) * q[i];
    curve.push([Math.exp(-c * klMultinomial(q, r)), Math.exp(-c * klMultinomial(p, r))]);
  }
  curve.push([0, 1]);
  return curve;
}

function trapezoid(sorted: readonly CurvePoint[], axis: 0 | 1): number {
  const other = axis === 0 ? 1 : 0;
  let area = 0;
  for (let i = 0; i + 1 < sorted.length; i++) {
    area += (sorted[i + 1][axis] - sorted[i][axis]) * (sorted[i][other] + sorted[i + 1][other]) / 2;
  }
  return area;
}

export function areaUnderCurve(curve: readonly CurvePoint[], mode: AreaMode = "x"): number {
  const byX = [...curve].sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const areaX = trapezoid(byX, 0);
  if (mode === "x") return areaX;
  const byY = [...curve].sort((a, b) => a[1] - b[1] || b[0] - a[0]);
  return 0.5 * (areaX + trapezoid(byY, 1));
}

/** The reference's frontier integral (lower is closer), reported beside MAUVE by mauve-text. */
export function frontierIntegral(p: ArrayLike<number>, q: ArrayLike<number>, scaling = 2): number {
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i];
    const b = q[i];
    if (a === 0 && b === 0) continue;
    if (a === 0) total += b / 4;
    else if (b === 0) total += a / 4;
    else if (Math.abs(a - b) > 1e-8) total += 0.25 * (a + b) - 0.5 * ((a * b * (Math.log(a) - Math.log(b))) / (a - b));
  }
  return total * scaling;
}

export interface MauveFromHistogramsResult {
  mauve: number;
  frontierIntegral: number;
  curve: CurvePoint[];
}

export function mauveFromHistograms(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  options: DivergenceCurveOptions & { area?: AreaMode } = {},
): MauveFromHistogramsResult {
  const curve = divergenceCurve(p, q, options);
  return { mauve: areaUnderCurve(curve, options.area ?? "x"), frontierIntegral: frontierIntegral(p, q), curve };
}

export interface MauveOptions extends DivergenceCurveOptions {
  /** Number of clusters; "auto" = max(2, round(min(n_p, n_q) / 10)). */
  numBuckets?: number | "auto";
  explainedVariance?: number;
  restarts?: number;
  maxIter?: number;
  /** The reference's default seed is 25. */
  seed?: number;
  area?: AreaMode;
}

export interface MauveResult extends MauveFromHistogramsResult {
  pHist: Float64Array;
  qHist: Float64Array;
  numBuckets: number;
  pcaDims: number;
  kmeansInertia: number;
}

export function mauve(p: FeatureMatrix, q: FeatureMatrix, options: MauveOptions = {}): MauveResult {
  checkMatrix(p, "MAUVE p features");
  checkMatrix(q, "MAUVE q features");
  if (p.cols !== q.cols) throw new RangeError(`MAUVE: p has ${p.cols} feature columns, q has ${q.cols}`);
  const nb = options.numBuckets ?? "auto";
  const k = nb === "auto" ? Math.max(2, Math.round(Math.min(p.rows, q.rows) / 10)) : nb;
  const rows = p.rows + q.rows;
  if (!Number.isInteger(k) || k < 1 || k > rows) throw new RangeError(`MAUVE: numBuckets must be an integer in [1, ${rows}], got ${k}`);
  const stacked = new Float64Array(rows * p.cols);
  stacked.set(l2NormalizeRows(q), 0);
  stacked.set(l2NormalizeRows(p), q.rows * q.cols);
  const pca = pcaReduce(stacked, rows, p.cols, options.explainedVariance ?? 0.9);
  const seed = options.seed ?? 25;
  const km = kmeans(pca.projected, rows, pca.dims, k, { restarts: options.restarts ?? 5, maxIter: options.maxIter ?? 500, seed: seed + 2 });
  const qHist = new Float64Array(k);
  const pHist = new Float64Array(k);
  for (let i = 0; i < q.rows; i++) qHist[km.labels[i]]++;
  for (let i = 0; i < p.rows; i++) pHist[km.labels[q.rows + i]]++;
  for (let c = 0; c < k; c++) {
    qHist[c] /= q.rows;
    pHist[c] /= p.rows;
  }
  return {
    ...mauveFromHistograms(pHist, qHist, { points: options.points, scaling: options.scaling, area: options.area }),
    pHist,
    qHist,
    numBuckets: k,
    pcaDims: pca.dims,
    kmeansInertia: km.inertia,
  };
}
