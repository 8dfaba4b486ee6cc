import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { Scheduler, clampedStepsLeft, rowsOf } from "./scheduler.ts";
import type { ConditionEncoding, DenoiseBatch, JobSpec, ModelBackend, SamplingMath } from "./types.ts";
import { CancelledError, DeadlineError, DrainingError, EngineError, OverloadedError, QueueFullError } from "./errors.ts";
import { coreMath } from "./math.ts";
import { applySampler, initLatents } from "./apply.ts";
import type { StepBatch, StepResult } from "./types.ts";

const testMath = coreMath({ name: "tan-d", d: 9 });

const L = 4;
const d = 3;
const Dc = 2;

/**
 * A model stand-in whose output for a row depends only on that row's inputs (like a real network
 * without cross-row ops), and which records every call so tests can see how rows were batched.
 */
class RecordingBackend implements ModelBackend {
  readonly L = L;
  readonly d = d;
  calls: { rows: number; t: number[] }[] = [];
  decodes: number[] = [];
  encodes = 0;
  failNext = false;
  /** With a `clock`, a call's delay advances that virtual clock instead of sleeping: timing tests then
   *  do not depend on how busy the machine running them is (setTimeout overshoots under load). */
  constructor(readonly condDim = 0, private readonly delayMs: number | ((rows: number, b: DenoiseBatch) => number) = 0, private readonly clock?: VirtualClock) {}
  async denoise(b: DenoiseBatch): Promise<Float32Array> {
    const delay = typeof this.delayMs === "function" ? this.delayMs(b.rows, b) : this.delayMs;
    if (delay && this.clock) this.clock.ms += delay;
    if (delay && !this.clock) await new Promise((r) => setTimeout(r, delay));
    else await new Promise((r) => setImmediate(r));
    if (this.failNext) {
      this.failNext = false;
      throw new Error("boom");
    }
    this.calls.push({ rows: b.rows, t: Array.from(b.t) });
    const ld = L * d;
    const out = new Float32Array(b.rows * ld);
    for (let r = 0; r < b.rows; r++) {
      let c = 0;
      if (b.cond) for (let j = 0; j < b.cond.S * this.condDim; j++) c += b.cond.data[r * b.cond.S * this.condDim + j] * b.cond.mask[r * b.cond.S + Math.floor(j / this.condDim)];
      for (let i = 0; i < ld; i++) out[r * ld + i] = 0.5 * b.x[r * ld + i] + 0.1 * b.xsc[r * ld + i] + 0.2 * b.t[r] + 0.01 * c;
    }
    return out;
  }
  async step(b: StepBatch): Promise<StepResult> {
    initLatents(b, testMath, L * d);
    return applySampler(await this.denoise(b), b, testMath, L * d);
  }
  async decode(lat: Float32Array, rows: number): Promise<Int32Array> {
    await new Promise((r) => setImmediate(r));
    this.decodes.push(rows);
    const ids = new Int32Array(rows * L);
    for (let i = 0; i < rows * L; i++) ids[i] = 3 + (Math.floor(Math.abs(lat[i * d]) * 1000) % 200);
    return ids;
  }
  async encodeCondition(tokens: Int32Array): Promise<ConditionEncoding> {
    this.encodes++;
    const cond = new Float32Array(tokens.length * Dc);
    for (let i = 0; i < cond.length; i++) cond[i] = tokens[Math.floor(i / Dc)] / 10;
    return { cond, len: tokens.length, nullCond: new Float32Array([0.5, -0.5]) };
  }
}

/** A job without a wall-clock deadline, for tests on a virtual clock (its deadline timer would run in real time). */
function offlineJob(over: Partial<JobSpec> = {}): JobSpec {
  return job({ deadline: Infinity, ...over });
}

/** Time that passes only when a backend call says so. */
class VirtualClock {
  ms = 0;
  readonly now = (): number => this.ms;
}

function job(over: Partial<JobSpec> = {}): JobSpec {
  return { id: "j", n: 1, steps: 3, sampler: "ddim", seed: 1, guidance: 0, deadline: performance.now() + 60_000, ...over };
}

function sched(backends: ModelBackend[], over: { rowBudget?: number; queueSize?: number; math?: SamplingMath; admissionMs?: number; clock?: VirtualClock } = {}) {
  const cache = new Map<string, ConditionEncoding>();
  const rows: number[] = [];
  const s = new Scheduler({
    lanes: backends,
    math: over.math ?? coreMath({ name: "tan-d", d: 9 }),
    rowBudget: over.rowBudget ?? 8,
    queueSize: over.queueSize ?? 100,
    admissionMs: over.admissionMs,
    now: over.clock?.now,
    condCache: { get: (k) => cache.get(k), set: (k, v) => void cache.set(k, v) },
    events: { runningRows: (r) => rows.push(r) },
  });
  return { s, cache, rows };
}

describe("Scheduler", () => {
  test("a job runs `steps` denoiser calls and returns L ids per sample", async () => {
    const b = new RecordingBackend();
    const { s } = sched([b]);
    const r = await s.submit(job({ n: 2, steps: 5 }));
    assert.equal(r.ids.length, 2);
    assert.equal(r.ids[0].length, L);
    assert.equal(b.calls.length, 5);
    assert.deepEqual(b.decodes, [2]);
    // per-row t follows the time grid from 1 downwards
    assert.equal(b.calls[0].t[0], 1);
    assert.ok(b.calls[4].t[0] < b.calls[0].t[0]);
    await s.drain();
    assert.ok(s.idle);
  });

  test("same seed gives the same ids alone and inside a busy mixed batch", async () => {
    const spec = job({ n: 2, steps: 6, sampler: "sde", seed: 42 });
    const alone = await sched([new RecordingBackend()]).s.submit(spec);
    const b = new RecordingBackend();
    const { s } = sched([b], { rowBudget: 16 });
    const others = [
      s.submit(job({ n: 3, steps: 2, sampler: "ddim", seed: 7 })),
      s.submit(job({ n: 1, steps: 9, sampler: "ode", seed: 8 })),
    ];
    const busy = s.submit(spec);
    others.push(s.submit(job({ n: 2, steps: 4, sampler: "sde", seed: 9 })));
    const got = await busy;
    await Promise.all(others);
    assert.deepEqual(got.ids, alone.ids);
    assert.ok(b.calls.some((c) => c.rows > 2), "the job shared a denoiser call");
    // different seeds differ
    const other = await sched([new RecordingBackend()]).s.submit({ ...spec, seed: 43 });
    assert.notDeepEqual(other.ids, alone.ids);
  });

  test("jobs with different step counts share calls with per-row t", async () => {
    const b = new RecordingBackend();
    const { s } = sched([b]);
    await Promise.all([s.submit(job({ steps: 2 })), s.submit(job({ steps: 4, seed: 2 }))]);
    assert.deepEqual(b.calls.map((c) => c.rows), [2, 2, 1, 1]);
    // same step index → same t; the 2-step job's second t differs from the 4-step job's second t
    assert.notEqual(b.calls[1].t[0], b.calls[1].t[1]);
  });

  test("admission respects the row budget; an oversized job runs alone", async () => {
    const b = new RecordingBackend();
    const { s } = sched([b], { rowBudget: 4 });
    await Promise.all([s.submit(job({ n: 3 })), s.submit(job({ n: 2 })), s.submit(job({ n: 6 }))]);
    assert.ok(b.calls.every((c) => c.rows <= 4 || c.rows === 6));
    assert.deepEqual(b.calls.map((c) => c.rows), [3, 3, 3, 2, 2, 2, 6, 6, 6]);
  });

  test("guidance doubles only the guided job's rows and uses the null condition", async () => {
    const b = new RecordingBackend(Dc);
    const { s, cache } = sched([b]);
    const tokens = new Int32Array([5, 6, 7]);
    await Promise.all([
      s.submit(job({ n: 2, guidance: 1.5, condition: { key: "doc", tokens } })),
      s.submit(job({ n: 1, guidance: 0, condition: { key: "doc2", tokens: new Int32Array([1]) } })),
    ]);
    assert.equal(rowsOf({ n: 2, guidance: 1.5 }), 4);
    assert.equal(b.calls[0].rows, 5);
    assert.equal(b.encodes, 2);
    assert.equal(cache.size, 2);
    // the same document again: its encoding comes from the cache
    await s.submit(job({ n: 1, condition: { key: "doc", tokens } }));
    assert.equal(b.encodes, 2);
  });

  test("guided output differs from unguided, and is reproducible", async () => {
    const tokens = new Int32Array([5, 6, 7]);
    const run = (g: number) => sched([new RecordingBackend(Dc)]).s.submit(job({ n: 1, steps: 4, guidance: g, condition: { key: "k", tokens } }));
    const [a, b2, c] = await Promise.all([run(0), run(3), run(3)]);
    assert.deepEqual(b2.ids, c.ids);
    assert.notDeepEqual(a.ids, b2.ids);
  });

  test("a full queue refuses with a retry hint; admitted jobs complete", async () => {
    const b = new RecordingBackend(0, 5);
    const { s } = sched([b], { rowBudget: 1, queueSize: 2 });
    // admission happens in the lane's loop (next turn), so both first jobs are still queued
    const ok = [s.submit(job()), s.submit(job())];
    assert.throws(() => s.submit(job()), (e: unknown) => e instanceof QueueFullError && e.retryAfterS >= 1);
    const results = await Promise.all(ok);
    assert.equal(results.length, 2);
    // once the queue has room again, jobs are accepted
    assert.equal((await s.submit(job())).ids.length, 1);
  });

  test("Retry-After of a full queue is within 2x of the time the queue really takes to drain", async () => {
    // A tick costs 10 ms + 2 ms per row (like a denoiser call) on a virtual clock; budget 8 rows, queue of 12.
    const clock = new VirtualClock();
    const b = new RecordingBackend(0, (rows) => 10 + 2 * rows, clock);
    const { s } = sched([b], { rowBudget: 8, queueSize: 12, clock });
    await Promise.all([1, 2, 3, 4].map((n) => s.submit(offlineJob({ n, steps: 4 })))); // some ticks measured
    const pending: Promise<unknown>[] = [];
    let refusal: QueueFullError | undefined;
    for (let i = 0; i < 30 && !refusal; i++) {
      try {
        pending.push(s.submit(offlineJob({ n: 1 + (i % 4), steps: 5 + ((i * 7) % 16), seed: i })));
      } catch (e) {
        if (e instanceof QueueFullError) refusal = e;
        else throw e;
      }
    }
    assert.ok(refusal, "the queue filled up");
    const refusedAt = clock.now();
    await Promise.all(pending);
    const actualMs = clock.now() - refusedAt;
    const ratio = refusal.retryAfterMs / actualMs;
    assert.ok(ratio > 0.5 && ratio < 2, `Retry-After ${refusal.retryAfterMs.toFixed(0)} ms vs drained in ${actualMs.toFixed(0)} ms`);
    assert.equal(refusal.retryAfterS, Math.max(1, Math.ceil(refusal.retryAfterMs / 1000)));
  });

  test("admission by estimated completion: what cannot finish within the limit is refused at once, what is admitted finishes in time", async () => {
    const clock = new VirtualClock();
    const b = new RecordingBackend(0, (rows) => 10 + 2 * rows, clock);
    const limitMs = 600;
    const { s } = sched([b], { rowBudget: 8, queueSize: 1000, admissionMs: limitMs, clock });
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => s.submit(offlineJob({ n, steps: 3 }))));
    const took: number[] = [];
    const refused: OverloadedError[] = [];
    const done: Promise<void>[] = [];
    for (let i = 0; i < 60; i++) {
      const start = clock.now();
      try {
        done.push(s.submit(offlineJob({ n: 2, steps: 10, seed: i })).then(() => void took.push(clock.now() - start)));
      } catch (e) {
        if (e instanceof OverloadedError) refused.push(e);
        else throw e;
      }
    }
    await Promise.all(done); // no DeadlineError or other failure among the admitted
    assert.ok(refused.length > 0 && took.length > 0, `${took.length} admitted, ${refused.length} refused`);
    const worst = Math.max(...took);
    assert.ok(worst < 1.5 * limitMs, `an admitted job took ${worst.toFixed(0)} ms (limit ${limitMs})`);
    assert.ok(refused.every((e) => e.retryAfterMs > 0 && e.code === "overloaded"));
    // an idle scheduler admits a job even when it alone needs longer than the limit
    assert.equal((await s.submit(offlineJob({ n: 1, steps: 80 }))).ids.length, 1);
  });

  test("admission counts the clamped steps a job has left: clamped jobs after unclamped traffic are not admitted on the unclamped cost", async () => {
    // A tick costs 10 ms + 2 ms per row + 10 ms per clamped sample (a clamped sample-step = 5 rows);
    // the tick model has seen only unclamped traffic when 60 clamped jobs (half their steps clamp) arrive.
    const clampedIn = (b: DenoiseBatch) => ("samples" in b ? (b as StepBatch).samples.filter((p) => p.clamp > 0 && p.t <= p.clamp).length : 0);
    const run = async (clampCostRows: number) => {
      const clock = new VirtualClock();
      const b = new RecordingBackend(0, (rows, batch) => 10 + 2 * rows + 10 * clampedIn(batch), clock);
      const limitMs = 600;
      const s = new Scheduler({ lanes: [b], math: coreMath({ name: "tan-d", d: 9 }), rowBudget: 8, queueSize: 1000, admissionMs: limitMs, now: clock.now, clampCostRows });
      await Promise.all([1, 2, 3, 4, 5, 6].map((n) => s.submit(offlineJob({ n, steps: 3 }))));
      const took: number[] = [];
      let refused = 0;
      const done: Promise<void>[] = [];
      for (let i = 0; i < 60; i++) {
        const start = clock.now();
        try {
          done.push(s.submit(offlineJob({ n: 2, steps: 10, clamp: 0.5, seed: i })).then(() => void took.push(clock.now() - start)));
        } catch (e) {
          if (e instanceof OverloadedError) refused++;
          else throw e;
        }
      }
      await Promise.all(done);
      return { worst: Math.max(...took), admitted: took.length, refused, limitMs };
    };
    const counted = await run(5);
    assert.ok(counted.refused > 0 && counted.admitted > 0);
    assert.ok(counted.worst < 1.5 * counted.limitMs, `with the clamp cost counted an admitted job took ${counted.worst.toFixed(0)} ms (limit ${counted.limitMs})`);
    // The same traffic judged on rows alone admits about twice as many jobs and misses the limit.
    const ignored = await run(0);
    assert.ok(ignored.admitted > counted.admitted && ignored.worst > 1.5 * ignored.limitMs, `clamp cost ignored: ${ignored.admitted} admitted, worst ${ignored.worst.toFixed(0)} ms`);
  });

  test("clampedStepsLeft counts the grid's steps at or below the threshold from a step on", () => {
    const grid = [1, 0.8, 0.6, 0.4, 0.2, 0];
    assert.equal(clampedStepsLeft(grid, 0, 5, 0.5), 2);
    assert.equal(clampedStepsLeft(grid, 4, 5, 0.5), 1);
    assert.equal(clampedStepsLeft(grid, 0, 5, 0), 0);
    assert.equal(clampedStepsLeft(grid, 0, 5, 1), 5);
  });

  test("cancelling a queued job rejects it at once; cancelling a running one frees its rows next tick", async () => {
    const b = new RecordingBackend(0, 5);
    const { s, rows } = sched([b], { rowBudget: 2 });
    const acRun = new AbortController();
    const acQueued = new AbortController();
    const running = s.submit(job({ n: 2, steps: 50, signal: acRun.signal }));
    const queued = s.submit(job({ n: 2, steps: 2, signal: acQueued.signal }));
    acQueued.abort();
    await assert.rejects(queued, CancelledError);
    while (b.calls.length < 3) await new Promise((r) => setTimeout(r, 2));
    acRun.abort();
    await assert.rejects(running, CancelledError);
    assert.ok(b.calls.length < 10, `cancelled job stopped early (${b.calls.length} calls)`);
    assert.equal(rows.at(-1), 0);
    assert.equal(s.runningRows, 0);
  });

  test("deadline fails the job with DeadlineError", async () => {
    const b = new RecordingBackend(0, 5);
    const { s } = sched([b]);
    await assert.rejects(s.submit(job({ steps: 1000, deadline: performance.now() + 30 })), DeadlineError);
    assert.ok(b.calls.length < 1000);
  });

  test("deadline Infinity (offline sampling): no timer, the job runs to the end", async () => {
    const { s } = sched([new RecordingBackend()]);
    const r = await s.submit(job({ steps: 4, deadline: Infinity }));
    assert.equal(r.ids.length, 1);
  });

  test("firstSample: a request split into jobs gives the samples of the whole request, sharing a batch or not", async () => {
    const spec = job({ n: 4, steps: 5, sampler: "sde", seed: 31 });
    const whole = await sched([new RecordingBackend()]).s.submit(spec);
    const { s } = sched([new RecordingBackend()], { rowBudget: 4 });
    const parts = await Promise.all([s.submit({ ...spec, n: 1 }), s.submit({ ...spec, n: 2, firstSample: 1 }), s.submit({ ...spec, n: 1, firstSample: 3 })]);
    assert.deepEqual(parts.flatMap((p) => p.ids), whole.ids);
    const apart = await sched([new RecordingBackend()], { rowBudget: 1 }).s.submit({ ...spec, n: 1, firstSample: 2 });
    assert.deepEqual(apart.ids, [whole.ids[2]]);
    const other = await sched([new RecordingBackend()]).s.submit({ ...spec, n: 1, firstSample: 5 });
    assert.notDeepEqual(other.ids, [whole.ids[0]], "another noise row, another sample");
  });

  test("the result carries the decoded latents (the last step's x̂0)", async () => {
    const b = new RecordingBackend();
    const { s } = sched([b]);
    const r = await s.submit(job({ n: 2, steps: 3 }));
    assert.equal(r.latents.length, 2 * L * d);
    const again = await b.decode(r.latents, 2);
    assert.deepEqual([again.slice(0, L), again.slice(L)], r.ids);
  });

  test("an encoding with its own key mask (fixed padded length) is fed with that mask", async () => {
    const seen: Float32Array[] = [];
    const b = new RecordingBackend(Dc);
    const step = b.step.bind(b);
    b.step = (batch) => (seen.push(batch.cond!.mask.slice()), step(batch));
    const { s, cache } = sched([b]);
    cache.set("padded", { cond: new Float32Array(4 * Dc).fill(0.5), len: 4, mask: Float32Array.from([1, 1, 0, 0]), nullCond: new Float32Array(Dc) });
    await s.submit(job({ n: 1, steps: 1, condition: { key: "padded", tokens: new Int32Array([1, 2]) } }));
    assert.equal(b.encodes, 0, "taken from the cache");
    assert.deepEqual(Array.from(seen[0]), [1, 1, 0, 0]);
  });

  test("drain finishes running work and refuses new jobs", async () => {
    const b = new RecordingBackend();
    const { s } = sched([b]);
    const p = s.submit(job({ steps: 5 }));
    const drained = s.drain();
    assert.throws(() => s.submit(job()), DrainingError);
    await drained;
    const r = await p;
    assert.equal(r.ids.length, 1);
    assert.ok(s.idle);
  });

  test("abortAll after a drain timeout fails queued and running jobs; the drain then completes", async () => {
    const b = new RecordingBackend(0, 2);
    const { s } = sched([b], { rowBudget: 1 });
    const running = s.submit(job({ steps: 10_000 }));
    const queued = s.submit(job({ steps: 10_000 }));
    while (b.calls.length < 2) await new Promise((r) => setTimeout(r, 2));
    const drained = s.drain();
    s.abortAll();
    const [r1, r2] = await Promise.allSettled([running, queued]);
    assert.ok(r1.status === "rejected" && r1.reason instanceof DrainingError);
    assert.ok(r2.status === "rejected" && r2.reason instanceof DrainingError);
    await drained;
    assert.ok(s.idle);
  });

  test("progress callbacks every k steps with current ids", async () => {
    const b = new RecordingBackend();
    const { s } = sched([b]);
    const seen: number[] = [];
    await s.submit(job({ steps: 7, progressEvery: 2, onProgress: (step, ids) => { seen.push(step); assert.equal(ids[0].length, L); } }));
    assert.deepEqual(seen, [2, 4, 6]);
  });

  test("a backend failure fails that batch only; the lane keeps serving", async () => {
    const b = new RecordingBackend();
    const { s } = sched([b]);
    b.failNext = true;
    await assert.rejects(s.submit(job()), EngineError);
    const r = await s.submit(job());
    assert.equal(r.ids.length, 1);
  });

  test("several lanes share the work fairly instead of one lane taking every row", async () => {
    const b1 = new RecordingBackend(0, 3);
    const b2 = new RecordingBackend(0, 3);
    const { s } = sched([b1, b2], { rowBudget: 16 });
    await Promise.all([1, 2, 3, 4].map((seed) => s.submit(job({ seed, steps: 3 }))));
    assert.deepEqual([b1.calls[0].rows, b2.calls[0].rows], [2, 2]);
  });

  test("two lanes run jobs in parallel and give the same numbers", async () => {
    const b1 = new RecordingBackend(0, 3);
    const b2 = new RecordingBackend(0, 3);
    const { s } = sched([b1, b2], { rowBudget: 1 });
    const specs = [1, 2, 3, 4].map((seed) => job({ seed, steps: 4 }));
    const res = await Promise.all(specs.map((j) => s.submit(j)));
    assert.ok(b1.calls.length > 0 && b2.calls.length > 0, "both lanes were used");
    for (let i = 0; i < specs.length; i++) {
      const alone = await sched([new RecordingBackend()]).s.submit(specs[i]);
      assert.deepEqual(res[i].ids, alone.ids);
    }
  });
});
