// Step-level continuous batching (in the spirit of text-generation-inference's router/queue.rs):
// a bounded FIFO of waiting jobs shared by one or more lanes; each lane owns a backend (one ONNX
// worker) and loops: drop cancelled/expired jobs, admit waiting jobs up to the row budget, encode
// new documents, one denoiser call over every active row with per-row t plus each sample's sampler
// update (both executed by the backend — in the server's ONNX worker thread — from a plan built here;
// see ./batch.ts and ./apply.ts), then finished rows (and streaming snapshots) through the decoder.
// Jobs with different step counts, samplers and guidance share a call; a job's numbers depend only on
// its own seed and parameters. The server, offline sampling (export's sampleArtifact) and training's
// samples all run this loop, each over its own ModelBackend.
import type { ConditionEncoding, JobResult, JobSpec, ModelBackend, SamplingMath, StepResult } from "./types.ts";
import { CancelledError, DeadlineError, DrainingError, EngineError, OverloadedError, QueueFullError, SchedulerError } from "./errors.ts";
import { TickModel, simulate } from "./estimate.ts";
import type { JobLoad } from "./estimate.ts";
import { buildStepBatch, clampsAt } from "./batch.ts";

export interface SchedulerEvents {
  queueSize?(size: number): void;
  runningRows?(rows: number): void;
  /** One denoiser call: rows in it and its duration. */
  tick?(rows: number, ms: number): void;
  admitted?(queueMs: number): void;
  condCache?(hit: boolean): void;
}

export interface ConditionCache {
  get(key: string): ConditionEncoding | undefined;
  set(key: string, value: ConditionEncoding): void;
}

export interface SchedulerOptions {
  lanes: ModelBackend[];
  math: SamplingMath;
  /** Denoiser rows per lane per tick (a guided sample counts twice). A larger job runs alone. */
  rowBudget: number;
  /** Waiting jobs beyond this are refused with QueueFullError. */
  queueSize: number;
  /**
   * Admission by estimated completion time: a job the measured drain rate says would finish later
   * than this (ms from its arrival; or its own deadline, if sooner) is refused with OverloadedError
   * instead of waiting to time out. 0 or absent = off.
   */
  admissionMs?: number;
  condCache?: ConditionCache;
  events?: SchedulerEvents;
  now?: () => number;
  /**
   * What clamping one sample at one step adds to a tick, in denoiser rows (a decoder and an encoder
   * call on its x̂0). Default CLAMP_COST_ROWS. Ticks are measured and predicted in these units, so
   * Retry-After and admission by estimate count the clamped steps a job has left.
   */
  clampCostRows?: number;
}

/**
 * Default SchedulerOptions.clampCostRows: bench:clamp on rocstories-generate 1.2.0 (Zen 2, 50 DDIM
 * steps) measured 413 ms of CPU per sample unclamped, 732 with clamp 0.3 and 1,020 with clamp 0.5,
 * i.e. 2.6 and 2.9 denoiser rows per clamped step.
 */
export const CLAMP_COST_ROWS = 2.8;

/** Steps of `grid` from `step` on whose t is at or below `clamp` (the ones that clamp). */
export function clampedStepsLeft(grid: ArrayLike<number>, step: number, steps: number, clamp: number): number {
  let k = 0;
  for (let i = step; i < steps; i++) if (clampsAt(clamp, grid[i])) k++;
  return k;
}

interface Waiting {
  spec: JobSpec;
  enqueuedAt: number;
  resolve(r: JobResult): void;
  reject(e: Error): void;
  /** Set when the job must leave (cancel or deadline); lanes check it every tick. */
  failure?: SchedulerError;
  cleanup(): void;
}

interface Active extends Waiting {
  admittedAt: number;
  rows: number; // denoiser rows (2n when guided)
  grid: ArrayLike<number>;
  step: number;
  x: Float32Array;
  xsc: Float32Array;
  x0: Float32Array;
  cond?: ConditionEncoding;
}

export function rowsOf(spec: Pick<JobSpec, "n" | "guidance">): number {
  return spec.guidance > 0 ? 2 * spec.n : spec.n;
}

export class Scheduler {
  private readonly waiting: Waiting[] = [];
  private readonly lanes: Lane[];
  private draining = false;
  private drainWaiters: (() => void)[] = [];
  private readonly now: () => number;
  /** Measured tick durations by rows: the drain rate behind Retry-After and admission. */
  readonly ticks = new TickModel();
  /** Ticks to see before refusing by estimate (a fresh model version knows nothing yet). */
  static readonly MIN_TICKS_FOR_ADMISSION = 5;

  constructor(private readonly opts: SchedulerOptions) {
    if (opts.lanes.length === 0) throw new Error("scheduler needs at least one lane");
    this.now = opts.now ?? (() => performance.now());
    this.lanes = opts.lanes.map((b) => new Lane(this, b, opts));
  }

  get queueLength(): number {
    return this.waiting.length;
  }
  get runningRows(): number {
    return this.lanes.reduce((s, l) => s + l.rows, 0);
  }
  get activeJobs(): number {
    return this.lanes.reduce((s, l) => s + l.active.length, 0);
  }
  get waitingRows(): number {
    return this.waiting.reduce((s, w) => s + rowsOf(w.spec), 0);
  }
  get laneCount(): number {
    return this.lanes.length;
  }
  get isDraining(): boolean {
    return this.draining;
  }
  get idle(): boolean {
    return this.waiting.length === 0 && this.lanes.every((l) => l.active.length === 0 && !l.running);
  }

  /**
   * Queues a job; the promise settles with its token ids or a SchedulerError. Refusals (draining,
   * queue full, already cancelled) are thrown synchronously, before any work, so a streaming route
   * can still answer them with a status code.
   */
  submit(spec: JobSpec): Promise<JobResult> {
    if (this.draining) throw new DrainingError();
    if (spec.signal?.aborted) throw new CancelledError();
    if (this.waiting.length >= this.opts.queueSize) throw new QueueFullError(this.estimate().drainMs);
    const admissionMs = this.opts.admissionMs ?? 0;
    if (admissionMs > 0 && this.ticks.observations >= Scheduler.MIN_TICKS_FOR_ADMISSION) {
      const own = this.load(spec, 0);
      const est = this.estimate(own);
      const limit = Math.min(admissionMs, spec.deadline - this.now());
      // A job that alone needs longer than the limit is not refused for that (the estimate of an
      // idle server is not what overload means): it is admitted when it would start at once.
      const alone = own.steps * this.ticks.predict(own.cost);
      if (est.finishMs > Math.max(limit, 1.5 * alone)) throw new OverloadedError(est.drainMs, est.finishMs, limit);
    }
    return new Promise<JobResult>((resolve, reject) => {
      const w: Waiting = { spec, enqueuedAt: this.now(), resolve, reject, cleanup: () => {} };
      const fail = (e: SchedulerError) => {
        if (w.failure) return;
        w.failure = e;
        // Still queued: leave now. Active: the lane drops it at its next tick.
        const i = this.waiting.indexOf(w);
        if (i >= 0) {
          this.waiting.splice(i, 1);
          this.opts.events?.queueSize?.(this.waiting.length);
          this.settle(w, e);
        }
      };
      const onAbort = () => fail(new CancelledError());
      spec.signal?.addEventListener("abort", onAbort, { once: true });
      // No timer for deadline = Infinity (setTimeout would clamp it to 1 ms).
      const timeout = Number.isFinite(spec.deadline) ? setTimeout(() => fail(new DeadlineError()), Math.max(0, spec.deadline - this.now())) : undefined;
      timeout?.unref?.();
      w.cleanup = () => {
        clearTimeout(timeout);
        spec.signal?.removeEventListener("abort", onAbort);
      };
      this.waiting.push(w);
      this.opts.events?.queueSize?.(this.waiting.length);
      this.wake();
    });
  }

  /**
   * Estimated ms until the work admitted so far has finished (`drainMs`) and, with `extra`, until a
   * job appended to the queue now would finish (`finishMs`).
   */
  estimate(extra?: JobLoad): { drainMs: number; finishMs: number } {
    const lanes = this.lanes.map((l) => l.active.map((a) => this.load(a.spec, a.step, a.grid)));
    const waiting: JobLoad[] = this.waiting.map((w) => this.load(w.spec, 0));
    const withExtra = extra ? [...waiting, extra] : waiting;
    const r = simulate(lanes, withExtra, { rowBudget: this.opts.rowBudget, tickMs: (rows) => this.ticks.predict(rows) });
    if (!extra) return { drainMs: r.drainMs, finishMs: r.drainMs };
    // The work ahead drains on its own schedule; the extra job's rows slow it only slightly.
    const ahead = simulate(lanes, waiting, { rowBudget: this.opts.rowBudget, tickMs: (rows) => this.ticks.predict(rows) });
    return { drainMs: ahead.drainMs, finishMs: r.finishMs[withExtra.length - 1] };
  }

  /** A job from `step` on as the estimate sees it: its rows, steps left, and their mean cost with its clamped steps. */
  private load(spec: JobSpec, step: number, grid?: ArrayLike<number>): Required<JobLoad> {
    const rows = rowsOf(spec);
    const steps = Math.max(0, spec.steps - step);
    const clamp = spec.clamp ?? 0;
    const clamped = clamp > 0 && steps > 0 ? clampedStepsLeft(grid ?? this.opts.math.timeGrid(spec.steps), step, spec.steps, clamp) : 0;
    return { rows, steps, cost: rows + (steps > 0 ? (this.clampCostRows * spec.n * clamped) / steps : 0) };
  }

  /** @internal */
  get clampCostRows(): number {
    return this.opts.clampCostRows ?? CLAMP_COST_ROWS;
  }

  /** @internal a lane's tick (denoiser call, sampler update, clamping, decoding) of `cost` rows (see load) took `ms`. */
  observeTick(cost: number, ms: number): void {
    this.ticks.observe(cost, ms);
  }

  /** Stops admitting new jobs; resolves once every queued and running job has finished. */
  drain(): Promise<void> {
    this.draining = true;
    if (this.idle) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }

  /** Fails every job still queued or running (after a drain timeout). */
  abortAll(reason: SchedulerError = new DrainingError()): void {
    for (const w of this.waiting.splice(0)) this.settle(w, reason);
    for (const l of this.lanes) for (const a of l.active) a.failure ??= reason;
  }

  /** @internal lanes take the next jobs that fit. */
  takeFitting(freeRows: number, laneEmpty: boolean): Waiting[] {
    const out: Waiting[] = [];
    while (this.waiting.length > 0) {
      const head = this.waiting[0];
      const rows = rowsOf(head.spec);
      // FIFO: a job that does not fit blocks the ones behind it (no starvation of big jobs);
      // a job larger than the whole budget runs alone on an empty lane.
      if (rows > freeRows && !(laneEmpty && out.length === 0)) break;
      this.waiting.shift();
      out.push(head);
      freeRows -= rows;
    }
    if (out.length > 0) this.opts.events?.queueSize?.(this.waiting.length);
    return out;
  }

  /** @internal */
  settle(w: Waiting, outcome: JobResult | Error): void {
    w.cleanup();
    if (outcome instanceof Error) w.reject(outcome);
    else w.resolve(outcome);
  }

  /** @internal */
  laneIdle(): void {
    this.opts.events?.runningRows?.(this.runningRows);
    if (this.idle) {
      for (const r of this.drainWaiters.splice(0)) r();
    }
  }

  /** @internal */
  reportRows(): void {
    this.opts.events?.runningRows?.(this.runningRows);
  }

  private wake(): void {
    for (const l of this.lanes) l.wake();
  }

  /** @internal */
  clock(): number {
    return this.now();
  }
}

class Lane {
  readonly active: Active[] = [];
  running = false;

  constructor(
    private readonly sched: Scheduler,
    private readonly backend: ModelBackend,
    private readonly opts: SchedulerOptions,
  ) {}

  get rows(): number {
    return this.active.reduce((s, a) => s + a.rows, 0);
  }

  wake(): void {
    if (this.running) return;
    this.running = true;
    // Start on the next microtask so jobs submitted in the same turn are admitted together.
    queueMicrotask(() => void this.loop());
  }

  private async loop(): Promise<void> {
    try {
      while (true) {
        this.dropFailed();
        await this.admit();
        this.dropFailed();
        if (this.active.length === 0) break;
        try {
          await this.tick();
        } catch (e) {
          // A backend failure fails the jobs in this batch, not the lane.
          const err = new EngineError(`inference failed: ${e instanceof Error ? e.message : String(e)}`);
          for (const a of this.active.splice(0)) this.sched.settle(a, err);
        }
      }
    } finally {
      this.running = false;
      this.sched.laneIdle();
    }
    // A job may have arrived between the last admit and `running = false`.
    if (this.sched.queueLength > 0) this.wake();
  }

  private dropFailed(): void {
    let dropped = false;
    for (let i = this.active.length - 1; i >= 0; i--) {
      const a = this.active[i];
      if (a.failure) {
        this.active.splice(i, 1);
        this.sched.settle(a, a.failure);
        dropped = true;
      }
    }
    if (dropped) this.sched.reportRows();
  }

  private async admit(): Promise<void> {
    // Fair share: with several lanes (workers), a lane takes only its part of the work, so the
    // others run in parallel instead of idling while one lane holds every row.
    const share = Math.ceil((this.sched.waitingRows + this.sched.runningRows) / this.sched.laneCount);
    const fresh = this.sched.takeFitting(Math.min(this.opts.rowBudget, share) - this.rows, this.active.length === 0);
    if (fresh.length === 0) return;
    const { L, d } = this.backend;
    const ld = L * d;
    const math = this.opts.math;
    const now = this.sched.clock();
    const admitted: Active[] = [];
    for (const w of fresh) {
      const { spec } = w;
      const x = new Float32Array(spec.n * ld);
      // x stays zero here: the initial noise is drawn by the backend (SamplePlan.init), off this thread.
      const a: Active = Object.assign(w, {
        admittedAt: now,
        rows: rowsOf(spec),
        grid: math.timeGrid(spec.steps),
        step: 0,
        x,
        xsc: new Float32Array(spec.n * ld),
        x0: new Float32Array(spec.n * ld),
      });
      this.opts.events?.admitted?.(now - w.enqueuedAt);
      admitted.push(a);
    }
    // Condition encodings: once per document (cached by key), before the job's first step.
    for (const a of admitted) {
      const c = a.spec.condition;
      if (!c) continue;
      const cached = this.opts.condCache?.get(c.key);
      this.opts.events?.condCache?.(cached !== undefined);
      try {
        a.cond = cached ?? (await this.backend.encodeCondition(c.tokens));
      } catch (e) {
        a.failure ??= new EngineError(`condition encoding failed: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      if (!cached) this.opts.condCache?.set(c.key, a.cond);
    }
    this.active.push(...admitted);
    this.sched.reportRows();
  }

  private async tick(): Promise<void> {
    const { L, d, condDim } = this.backend;
    const ld = L * d;
    const jobs = this.active.slice();
    const batch = buildStepBatch(jobs, ld, condDim);
    // The tick's cost in denoiser rows: its rows plus the decoder + encoder calls of clamped samples.
    const clamped = batch.samples.reduce((k, p) => k + (clampsAt(p.clamp, p.t) ? 1 : 0), 0);
    const cost = batch.rows + this.sched.clampCostRows * clamped;
    const t0 = performance.now();
    const tickStart = this.sched.clock();
    const res = await this.backend.step(batch);
    this.opts.events?.tick?.(batch.rows, performance.now() - t0);
    const { finished, snapshots } = this.advance(jobs, res, ld);
    for (const a of finished) this.active.splice(this.active.indexOf(a), 1);
    if (finished.length + snapshots.length > 0) await this.decode(finished, snapshots, cost, tickStart);
    else this.sched.observeTick(cost, this.sched.clock() - tickStart);
  }

  /** Takes each job's new latents and x̂0 (the next step's self-conditioning input); says who finished. */
  private advance(jobs: Active[], res: StepResult, ld: number): { finished: Active[]; snapshots: Active[] } {
    const finished: Active[] = [];
    const snapshots: Active[] = [];
    let k = 0;
    for (const a of jobs) {
      const n = a.spec.n;
      a.x.set(res.x.subarray(k * ld, (k + n) * ld));
      a.x0.set(res.x0.subarray(k * ld, (k + n) * ld));
      a.xsc.set(a.x0); // self-conditioning: the next step sees this step's x̂0
      k += n;
      a.step++;
      if (a.step >= a.spec.steps) finished.push(a);
      else if (a.spec.onProgress && a.spec.progressEvery && a.step % a.spec.progressEvery === 0 && !a.failure) snapshots.push(a);
    }
    return { finished, snapshots };
  }

  /** One decoder call over finished jobs and streaming snapshots; settles the finished ones. */
  private async decode(finished: Active[], snapshots: Active[], cost: number, tickStart: number): Promise<void> {
    const { L, d } = this.backend;
    const ld = L * d;
    const toDecode = [...finished, ...snapshots];
    const decRows = toDecode.reduce((s, a) => s + a.spec.n, 0);
    const lat = new Float32Array(decRows * ld);
    let off = 0;
    for (const a of toDecode) {
      lat.set(a.x0, off * ld);
      off += a.spec.n;
    }
    let ids: Int32Array;
    try {
      ids = await this.backend.decode(lat, decRows);
    } catch (e) {
      const err = new EngineError(`decoding failed: ${e instanceof Error ? e.message : String(e)}`);
      for (const a of finished) this.sched.settle(a, err);
      throw e;
    }
    const end = this.sched.clock();
    this.sched.observeTick(cost, end - tickStart);
    off = 0;
    for (const a of toDecode) {
      const perRow: Int32Array[] = [];
      for (let r = 0; r < a.spec.n; r++) perRow.push(ids.slice((off + r) * L, (off + r + 1) * L));
      off += a.spec.n;
      if (finished.includes(a)) {
        this.sched.settle(a, a.failure ?? { ids: perRow, latents: a.x0, queueMs: a.admittedAt - a.enqueuedAt, inferenceMs: end - a.admittedAt });
      } else {
        try {
          a.spec.onProgress?.(a.step, perRow);
        } catch {
          // a listener's failure is the listener's problem
        }
      }
    }
    this.sched.reportRows();
  }
}
