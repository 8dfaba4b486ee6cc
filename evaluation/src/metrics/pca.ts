// PCA as MAUVE uses it (sklearn `PCA(n_components=None, whiten=False)` then keep the leading
// components whose cumulative explained-variance ratio first reaches the threshold). The symmetric
// eigendecomposition comes from ml-matrix (JAMA's tred2/tql2); we decompose the smaller of the
// covariance (d×d) and the Gram matrix (n×n) of the centred data — same non-zero spectrum.
import { EigenvalueDecomposition, Matrix } from "ml-matrix";

export interface PcaResult {
  /** rows × dims projection of the centred data on the kept components, row-major. */
  projected: Float64Array;
  dims: number;
  /** Explained-variance ratio of every component, descending. */
  explainedRatio: number[];
}

export function pcaReduce(data: Float64Array, rows: number, cols: number, explainedVariance = 0.9): PcaResult {
  if (!(explainedVariance > 0 && explainedVariance < 1)) throw new RangeError(`explainedVariance must be in (0, 1), got ${explainedVariance}`);
  const x = new Float64Array(data);
  for (let j = 0; j < cols; j++) {
    let mean = 0;
    for (let i = 0; i < rows; i++) mean += x[i * cols + j];
    mean /= rows;
    for (let i = 0; i < rows; i++) x[i * cols + j] -= mean;
  }
  const useGram = rows < cols;
  const size = useGram ? rows : cols;
  const s = new Float64Array(size * size);
  if (useGram) {
    for (let a = 0; a < rows; a++) {
      for (let b = a; b < rows; b++) {
        let dot = 0;
        for (let j = 0; j < cols; j++) dot += x[a * cols + j] * x[b * cols + j];
        s[a * size + b] = dot;
        s[b * size + a] = dot;
      }
    }
  } else {
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      for (let a = 0; a < cols; a++) {
        const xa = x[o + a];
        if (xa === 0) continue;
        const ra = a * size;
        for (let b = a; b < cols; b++) s[ra + b] += xa * x[o + b];
      }
    }
    for (let a = 0; a < cols; a++) for (let b = a + 1; b < cols; b++) s[b * size + a] = s[a * size + b];
  }
  const evd = new EigenvalueDecomposition(Matrix.from1DArray(size, size, s), { assumeSymmetric: true });
  const values = evd.realEigenvalues.map((v) => Math.max(v, 0));
  const order = values.map((_, i) => i).sort((a, b) => values[b] - values[a]);
  const total = values.reduce((a, b) => a + b, 0);
  const explainedRatio = order.map((i) => (total > 0 ? values[i] / total : 0));
  // np.argmax(cumsum >= threshold): the first index reaching it (0 when none does, e.g. no variance).
  let keep = 1;
  let cum = 0;
  for (let k = 0; k < explainedRatio.length; k++) {
    cum += explainedRatio[k];
    if (cum >= explainedVariance) {
      keep = k + 1;
      break;
    }
  }
  const vectors = evd.eigenvectorMatrix;
  const projected = new Float64Array(rows * keep);
  for (let c = 0; c < keep; c++) {
    const e = order[c];
    if (useGram) {
      // Xc·v = u·σ with σ = sqrt(eigenvalue of Xc·Xcᵀ)
      const sigma = Math.sqrt(values[e]);
      for (let i = 0; i < rows; i++) projected[i * keep + c] = vectors.get(i, e) * sigma;
    } else {
      for (let i = 0; i < rows; i++) {
        let dot = 0;
        for (let j = 0; j < cols; j++) dot += x[i * cols + j] * vectors.get(j, e);
        projected[i * keep + c] = dot;
      }
    }
  }
  return { projected, dims: keep, explainedRatio };
}
