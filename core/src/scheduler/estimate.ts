// How long the work in a scheduler will take, from measured tick times: plain logic (no clock, no
// model), so Retry-After and admission by estimated completion time can be tested exactly.
//
// A lane advances every job it holds by one step per tick, and a tick costs about a + b·rows (one
// denoiser call over all rows, plus decoding when something finishes). The queue drains as the lanes
// finish jobs and admit the next ones in FIFO order up to the row budget — which is what
// `simulate` replays, one event per finishing job, instead of multiplying an average job time
// (queueing included) by the queue length.

/** Tick duration as a function of its rows: a least-squares line over recent ticks (exponential forgetting). */
export class TickModel {
  private s0 = 0;
  private sr = 0;
  private srr = 0;
  private st = 0;
  private srt = 0;
  private n = 0;

  constructor(
    /** Weight kept per new observation (0.97: about the last 30 ticks dominate). */
    private readonly decay = 0.97,
    /** Prediction before any tick was seen (ms). */
    private readonly priorMs = 50,
  ) {}

  get observations(): number {
    return this.n;
  }

  observe(rows: number, ms: number): void {
    if (!(rows > 0) || !Number.isFinite(ms) || ms < 0) return;
    const k = this.decay;
    this.s0 = this.s0 * k + 1;
    this.sr = this.sr * k + rows;
    this.srr = this.srr * k + rows * rows;
    this.st = this.st * k + ms;
    this.srt = this.srt * k + rows * ms;
    this.n++;
  }

  /** Predicted ms of one tick over `rows` rows. */
  predict(rows: number): number {
    if (this.s0 === 0) return this.priorMs;
    const mr = this.sr / this.s0;
    const mt = this.st / this.s0;
    const varR = this.srr / this.s0 - mr * mr;
    if (varR > 0.25) {
      let b = (this.srt / this.s0 - mr * mt) / varR;
      let a = mt - b * mr;
      if (b < 0) {
        b = 0;
        a = mt;
      } else if (a < 0) {
        a = 0;
        b = mt / mr;
      }
      return a + b * rows;
    }
    // Every tick had about the same rows (a full lane under load): proportional above that, flat
    // below it — never optimistic where nothing was measured.
    return rows > mr ? (mt * rows) / mr : mt;
  }
}

/** A job as the estimate sees it: denoiser rows and steps still to run. */
export interface JobLoad {
  rows: number;
  steps: number;
  /**
   * What one of its steps costs, in denoiser rows (default `rows`): more than its rows when some of
   * its steps clamp (each clamped sample-step adds a decoder and an encoder call). The row budget
   * counts `rows`; tick time counts `cost`.
   */
  cost?: number;
}

export interface SimulateOptions {
  rowBudget: number;
  tickMs(rows: number): number;
}

export interface SimulateResult {
  /** Until every job (lanes and queue) has finished. */
  drainMs: number;
  /** Finish time of each waiting job, in queue order. */
  finishMs: number[];
}

/**
 * Replays the lanes' FIFO admission (the scheduler's rule: a lane takes waiting jobs while they fit
 * its share of the rows, up to the budget; a job larger than the budget runs alone on an empty lane)
 * and one step per tick for every job a lane holds, from now until everything is done.
 */
export function simulate(lanes: JobLoad[][], waiting: JobLoad[], o: SimulateOptions): SimulateResult {
  type Job = { rows: number; cost: number; left: number; queueIndex: number };
  const state = lanes.map((active) => ({ t: 0, jobs: active.filter((j) => j.steps > 0).map((j) => ({ rows: j.rows, cost: j.cost ?? j.rows, left: j.steps, queueIndex: -1 }) as Job) }));
  const queue: Job[] = waiting.map((w, i) => ({ rows: w.rows, cost: w.cost ?? w.rows, left: Math.max(1, w.steps), queueIndex: i }));
  const finishMs = new Array<number>(waiting.length).fill(0);
  let head = 0;
  const rowsOf = (jobs: Job[]) => jobs.reduce((s, j) => s + j.rows, 0);
  const costOf = (jobs: Job[]) => jobs.reduce((s, j) => s + j.cost, 0);
  const admit = (lane: (typeof state)[number]) => {
    let waitingRows = 0;
    for (let i = head; i < queue.length; i++) waitingRows += queue[i].rows;
    const running = state.reduce((s, l) => s + rowsOf(l.jobs), 0);
    const share = Math.ceil((waitingRows + running) / state.length);
    let free = Math.min(o.rowBudget, share) - rowsOf(lane.jobs);
    const empty = lane.jobs.length === 0;
    let took = 0;
    while (head < queue.length) {
      const j = queue[head];
      if (j.rows > free && !(empty && took === 0)) break;
      lane.jobs.push(j);
      free -= j.rows;
      head++;
      took++;
    }
  };
  for (const l of state) admit(l);
  let drainMs = 0;
  for (;;) {
    // The lane whose next job finishes first.
    let best = -1;
    let bestAt = Infinity;
    let bestSteps = 0;
    for (let i = 0; i < state.length; i++) {
      const l = state[i];
      if (l.jobs.length === 0) continue;
      const k = Math.min(...l.jobs.map((j) => j.left));
      const at = l.t + k * o.tickMs(costOf(l.jobs));
      if (at < bestAt) {
        bestAt = at;
        best = i;
        bestSteps = k;
      }
    }
    if (best < 0) break;
    const lane = state[best];
    lane.t = bestAt;
    for (const j of lane.jobs) j.left -= bestSteps;
    for (const j of lane.jobs) if (j.left <= 0 && j.queueIndex >= 0) finishMs[j.queueIndex] = bestAt;
    lane.jobs = lane.jobs.filter((j) => j.left > 0);
    drainMs = Math.max(drainMs, bestAt);
    admit(lane);
    // Lanes that ran dry meanwhile pick up work from now on.
    for (const l of state) if (l.jobs.length === 0 && head < queue.length) {
      l.t = Math.max(l.t, bestAt);
      admit(l);
    }
  }
  return { drainMs, finishMs };
}
