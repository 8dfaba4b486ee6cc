// Main-thread side of one engine worker: EngineWorker starts it (TypeScript through tsx's loader),
// opens the sessions and turns calls into promises (a worker that dies fails its pending calls);
// OnnxBackend is the scheduler's ModelBackend over it: each call goes to the worker's OrtModel
// (core/onnx, which builds the graph inputs), with the batch's buffers transferred, not copied.
import { Worker } from "node:worker_threads";
import type { ConditionEncoding, DenoiseBatch, ModelBackend, ModelShape, ScheduleConfig, StepBatch, StepResult } from "@ldtext/core";
import type { CallReply, CallRequest, CallResults, ExecutionProvider, FromWorker, InitReply, ToWorker, WireTensor } from "./protocol.ts";

/** A call's fields besides its kind and id (the handle numbers it). */
type CallBody<K extends CallRequest["kind"]> = Omit<Extract<CallRequest, { kind: K }>, "kind" | "id">;

export interface EngineWorkerOptions {
  graphs: Record<string, string>;
  ep: "cpu" | "cuda" | "auto";
  strict: boolean;
  deviceId: number;
  intraOpThreads: number;
  /** ORT's CPU arena allocator and memory-pattern planning (ORT defaults: both on). */
  cpuMemArena?: boolean;
  memPattern?: boolean;
  /** Noise schedule for the sampler math done in the worker (default tan-d, d = 9). */
  schedule?: ScheduleConfig;
  /** Latent and condition sizes of the graphs. */
  shape: ModelShape;
}

export class EngineStartError extends Error {}

export class EngineWorker {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(r: CallReply): void; reject(e: Error): void }>();
  private dead: Error | null = null;
  private closing = false;
  ep: ExecutionProvider = "cpu";
  /** Called once if the worker dies without close() (crash, out of memory, terminate()). */
  onDeath: ((e: Error) => void) | null = null;
  fallbackReason: string | undefined;

  private constructor() {
    // worker-entry.mjs registers tsx and loads worker.ts (see its header for why not execArgv).
    this.worker = new Worker(new URL("./worker-entry.mjs", import.meta.url), { execArgv: [] });
    this.worker.on("error", (e) => this.fail(e));
    this.worker.on("exit", (code) => this.fail(new Error(`engine worker exited (code ${code})`)));
    this.worker.on("message", (m: FromWorker) => {
      if (m.kind !== "reply") return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      p.resolve(m);
    });
  }

  static async start(opts: EngineWorkerOptions): Promise<EngineWorker> {
    const w = new EngineWorker();
    const reply = await new Promise<InitReply>((resolve, reject) => {
      const onMsg = (m: FromWorker) => {
        if (m.kind !== "init") return;
        w.worker.off("message", onMsg);
        resolve(m);
      };
      w.worker.on("message", onMsg);
      w.worker.once("error", reject);
      w.worker.once("exit", (code) => reject(new EngineStartError(`engine worker exited during start (code ${code})`)));
      w.post({ kind: "init", ...opts, schedule: opts.schedule ?? { name: "tan-d", d: 9 } });
    });
    if (!reply.ok) {
      await w.close();
      throw new EngineStartError(reply.error ?? "engine start failed");
    }
    w.ep = reply.ep ?? "cpu";
    w.fallbackReason = reply.fallbackReason;
    return w;
  }

  private post(msg: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  get alive(): boolean {
    return this.dead === null;
  }

  private fail(e: Error): void {
    if (this.dead) return;
    this.dead = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    if (!this.closing) this.onDeath?.(e);
  }

  /** Kills the thread abruptly (what a crash looks like to the rest of the server). */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  /** One call; the listed buffers are transferred (unusable here afterwards). */
  async call<K extends CallRequest["kind"]>(kind: K, body: CallBody<K>, transfer: ArrayBuffer[] = []): Promise<CallResults[K]> {
    if (this.dead) throw this.dead;
    const id = this.nextId++;
    const reply = await new Promise<CallReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ ...body, kind, id } as Extract<CallRequest, { kind: K }>, transfer);
    });
    if (reply.error || reply.value === undefined) throw new Error(reply.error ?? "no result");
    return reply.value as CallResults[K];
  }

  /** Runs one graph on raw feeds; the feeds' buffers are transferred. */
  run(graph: string, feeds: Record<string, WireTensor>, outputs: string[]): Promise<Record<string, WireTensor>> {
    return this.call("run", { graph, feeds, outputs }, Object.values(feeds).map((f) => f.data));
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.dead) return;
    const exited = new Promise<void>((r) => this.worker.once("exit", () => r()));
    this.post({ kind: "close" });
    const timer = setTimeout(() => void this.worker.terminate(), 2000);
    await exited;
    clearTimeout(timer);
  }
}

/** An array that owns its whole buffer (transfer detaches every view on a buffer; a view is copied). */
function own<T extends Float32Array | Int32Array>(a: T): T {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : (a.slice() as T);
}

/** The batch with arrays of their own, and the buffers to transfer. */
function transferable<B extends DenoiseBatch>(b: B): [B, ArrayBuffer[]] {
  const out = { ...b, x: own(b.x), xsc: own(b.xsc), t: own(b.t), cond: b.cond ? { ...b.cond, data: own(b.cond.data), mask: own(b.cond.mask) } : undefined };
  const arrays = [out.x, out.xsc, out.t, ...(out.cond ? [out.cond.data, out.cond.mask] : [])];
  // x and x_sc may be one array (a caller's shortcut): transfer each buffer once.
  return [out, [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))]];
}

export class OnnxBackend implements ModelBackend {
  constructor(
    private readonly worker: EngineWorker,
    readonly L: number,
    readonly d: number,
    readonly condDim: number,
  ) {}

  /** The denoiser alone (warm-up, tests). */
  denoise(b: DenoiseBatch): Promise<Float32Array> {
    const [batch, transfer] = transferable(b);
    return this.worker.call("denoise", { batch }, transfer);
  }

  step(b: StepBatch): Promise<StepResult> {
    const [batch, transfer] = transferable(b);
    return this.worker.call("step", { batch }, transfer);
  }

  decode(latents: Float32Array, rows: number): Promise<Int32Array> {
    const lat = own(latents);
    return this.worker.call("decode", { latents: lat, rows }, [lat.buffer as ArrayBuffer]);
  }

  encodeCondition(tokens: Int32Array): Promise<ConditionEncoding> {
    // Copied, not transferred: the job keeps its tokens.
    return this.worker.call("encode", { tokens: tokens.slice() });
  }
}
