// Row-major feature matrices shared by MAUVE and BERTScore: what a TF.js tensor's `dataSync()` and
// `shape` give without copying (Float32Array + rows/cols), or built from nested arrays for tests.

export interface FeatureMatrix {
  rows: number;
  cols: number;
  /** rows·cols values, row-major. */
  data: ArrayLike<number>;
}

export function featureMatrix(rows: readonly (readonly number[])[]): FeatureMatrix {
  if (rows.length === 0) throw new RangeError("a feature matrix needs at least one row");
  const cols = rows[0].length;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new RangeError(`row ${i} has ${r.length} values, expected ${cols}`);
    data.set(r, i * cols);
  });
  return { rows: rows.length, cols, data };
}

export function checkMatrix(m: FeatureMatrix, name: string): void {
  if (!Number.isInteger(m.rows) || !Number.isInteger(m.cols) || m.rows < 1 || m.cols < 1) {
    throw new RangeError(`${name}: needs at least one row and one column, got ${m.rows}×${m.cols}`);
  }
  if (m.data.length !== m.rows * m.cols) {
    throw new RangeError(`${name}: ${m.data.length} values for a ${m.rows}×${m.cols} matrix`);
  }
  for (let i = 0; i < m.data.length; i++) {
    if (!Number.isFinite(m.data[i])) throw new RangeError(`${name}: non-finite value at index ${i}`);
  }
}

/** Copy with every row scaled to unit L2 norm (all-zero rows stay zero, as sklearn's normalize). */
export function l2NormalizeRows(m: FeatureMatrix): Float64Array {
  const out = new Float64Array(m.rows * m.cols);
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let j = 0; j < m.cols; j++) s += m.data[i * m.cols + j] ** 2;
    const norm = Math.sqrt(s);
    if (norm > 0) for (let j = 0; j < m.cols; j++) out[i * m.cols + j] = m.data[i * m.cols + j] / norm;
  }
  return out;
}
