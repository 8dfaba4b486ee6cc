// k-means (Lloyd) with k-means++ seeding and restarts keeping the lowest inertia, as MAUVE's
// quantization step needs. The reference implementation uses faiss (random-subset init, nredo=5,
// niter=500); k-means++ seeding is used here because it is more stable at equal cost. Seeded by
// core's SeededRandom, so results repeat exactly for a seed.
import { SeededRandom } from "@ldtext/core";

export interface KMeansOptions {
  restarts?: number;
  maxIter?: number;
  seed?: number;
}

export interface KMeansResult {
  labels: Int32Array;
  /** k × dims, row-major. */
  centroids: Float64Array;
  /** Sum of squared distances of points to their centroid. */
  inertia: number;
  iterations: number;
}

function sqDist(a: Float64Array, ao: number, b: Float64Array, bo: number, dims: number): number {
  let s = 0;
  for (let j = 0; j < dims; j++) {
    const d = a[ao + j] - b[bo + j];
    s += d * d;
  }
  return s;
}

function seedPlusPlus(data: Float64Array, rows: number, dims: number, k: number, rng: SeededRandom): Float64Array {
  const centroids = new Float64Array(k * dims);
  const first = rng.nextInt(rows);
  centroids.set(data.subarray(first * dims, first * dims + dims), 0);
  const d2 = new Float64Array(rows);
  for (let i = 0; i < rows; i++) d2[i] = sqDist(data, i * dims, centroids, 0, dims);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < rows; i++) total += d2[i];
    let pick = rows - 1;
    if (total > 0) {
      let u = rng.nextFloat() * total;
      for (let i = 0; i < rows; i++) {
        u -= d2[i];
        if (u < 0) {
          pick = i;
          break;
        }
      }
    } else {
      pick = rng.nextInt(rows);
    }
    centroids.set(data.subarray(pick * dims, pick * dims + dims), c * dims);
    for (let i = 0; i < rows; i++) {
      const d = sqDist(data, i * dims, centroids, c * dims, dims);
      if (d < d2[i]) d2[i] = d;
    }
  }
  return centroids;
}

function assignNearest(data: Float64Array, rows: number, dims: number, k: number, centroids: Float64Array, labels: Int32Array): void {
  for (let i = 0; i < rows; i++) {
    let best = 0;
    let bestD = Infinity;
    for (let c = 0; c < k; c++) {
      const d = sqDist(data, i * dims, centroids, c * dims, dims);
      if (d < bestD) {
        bestD = d;
        best = c;
      }
    }
    labels[i] = best;
  }
}

function lloyd(data: Float64Array, rows: number, dims: number, k: number, centroids: Float64Array, maxIter: number): KMeansResult {
  const labels = new Int32Array(rows).fill(-1);
  const dist = new Float64Array(rows);
  const sums = new Float64Array(k * dims);
  const counts = new Int32Array(k);
  let iterations = 0;
  for (; iterations < maxIter; iterations++) {
    let changed = false;
    for (let i = 0; i < rows; i++) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < k; c++) {
        const d = sqDist(data, i * dims, centroids, c * dims, dims);
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      dist[i] = bestD;
      if (labels[i] !== best) {
        labels[i] = best;
        changed = true;
      }
    }
    if (!changed) break;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < rows; i++) {
      const c = labels[i];
      counts[c]++;
      for (let j = 0; j < dims; j++) sums[c * dims + j] += data[i * dims + j];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] > 0) {
        for (let j = 0; j < dims; j++) centroids[c * dims + j] = sums[c * dims + j] / counts[c];
      } else {
        // Empty cluster: move it onto the point farthest from its centroid.
        let far = 0;
        for (let i = 1; i < rows; i++) if (dist[i] > dist[far]) far = i;
        centroids.set(data.subarray(far * dims, far * dims + dims), c * dims);
        dist[far] = 0;
      }
    }
  }
  // Out of iterations: labels must still name each point's nearest (moved) centroid.
  if (iterations === maxIter) assignNearest(data, rows, dims, k, centroids, labels);
  let inertia = 0;
  for (let i = 0; i < rows; i++) inertia += sqDist(data, i * dims, centroids, labels[i] * dims, dims);
  return { labels, centroids, inertia, iterations };
}

export function kmeans(data: Float64Array, rows: number, dims: number, k: number, options: KMeansOptions = {}): KMeansResult {
  const restarts = options.restarts ?? 5;
  const maxIter = options.maxIter ?? 500;
  if (!Number.isInteger(k) || k < 1 || k > rows) throw new RangeError(`k must be an integer in [1, ${rows}], got ${k}`);
  if (data.length !== rows * dims) throw new RangeError(`k-means: ${data.length} values for ${rows}×${dims}`);
  if (!Number.isInteger(restarts) || restarts < 1) throw new RangeError(`restarts must be ≥ 1, got ${restarts}`);
  const rng = new SeededRandom(options.seed ?? 0);
  let best = lloyd(data, rows, dims, k, seedPlusPlus(data, rows, dims, k, rng), maxIter);
  for (let r = 1; r < restarts; r++) {
    const result = lloyd(data, rows, dims, k, seedPlusPlus(data, rows, dims, k, rng), maxIter);
    if (result.inertia < best.inertia) best = result;
  }
  return best;
}
