// Timestep sampling: uniform t ~ U[t_min, 1], or adaptive (configuration 3, [our reading] of
// "sample t where the loss is still high"): [t_min, 1] is cut into bins, each bin keeps an EMA of the
// per-row diffusion loss of its timesteps, and a bin is drawn with probability
// ½·uniform + ½·(its EMA / the sum), then t uniformly inside it. The state is JSON-safe for resume.
import type { SeededRandom } from "@ldtext/core";

export interface TimestepState {
  ema: number[];
  seen: boolean[];
}

export class TimestepSampler {
  readonly ema: Float64Array;
  readonly seen: boolean[];

  constructor(readonly tMin: number, readonly adaptive: boolean, readonly bins = 20, readonly rate = 0.1) {
    this.ema = new Float64Array(bins);
    this.seen = new Array<boolean>(bins).fill(false);
  }

  private binOf(t: number): number {
    return Math.min(this.bins - 1, Math.max(0, Math.floor(((t - this.tMin) / (1 - this.tMin)) * this.bins)));
  }

  /** Bin probabilities (uniform until every bin has been observed). */
  probabilities(): number[] {
    const uniform = 1 / this.bins;
    if (!this.adaptive || this.seen.some((s) => !s)) return new Array<number>(this.bins).fill(uniform);
    const total = this.ema.reduce((a, b) => a + b, 0);
    if (!(total > 0)) return new Array<number>(this.bins).fill(uniform);
    return Array.from(this.ema, (e) => 0.5 * uniform + (0.5 * e) / total);
  }

  sample(rng: SeededRandom, count: number): Float32Array {
    const out = new Float32Array(count);
    const width = (1 - this.tMin) / this.bins;
    const p = this.adaptive ? this.probabilities() : null;
    for (let i = 0; i < count; i++) {
      if (!p) {
        out[i] = this.tMin + (1 - this.tMin) * rng.nextFloat();
        continue;
      }
      let u = rng.nextFloat();
      let b = 0;
      while (b < this.bins - 1 && u >= p[b]) u -= p[b++];
      out[i] = this.tMin + width * (b + rng.nextFloat());
    }
    return out;
  }

  /** Feed the per-row losses of a step (no-op when not adaptive). */
  observe(t: Float32Array, losses: Float32Array): void {
    if (!this.adaptive) return;
    const sum = new Float64Array(this.bins);
    const n = new Float64Array(this.bins);
    t.forEach((tv, i) => {
      const b = this.binOf(tv);
      sum[b] += losses[i];
      n[b]++;
    });
    for (let b = 0; b < this.bins; b++) {
      if (n[b] === 0) continue;
      const mean = sum[b] / n[b];
      this.ema[b] = this.seen[b] ? this.ema[b] + this.rate * (mean - this.ema[b]) : mean;
      this.seen[b] = true;
    }
  }

  state(): TimestepState {
    return { ema: Array.from(this.ema), seen: [...this.seen] };
  }

  load(s: TimestepState): void {
    if (s.ema.length !== this.bins) throw new Error(`timestep state has ${s.ema.length} bins, expected ${this.bins}`);
    this.ema.set(s.ema);
    s.seen.forEach((v, i) => (this.seen[i] = v));
  }
}
