// One verified, warmed model version: its manifest, tokenizer, engine workers and scheduler.
import { join } from "node:path";
import { CompactTokenizer, Scheduler, arDecoderRoles, coreMath, cpuInfo, modelShape, readArtifact, servedDecoder } from "@ldtext/core";
import type { ConditionCache, Manifest } from "@ldtext/core";
import type { Logger } from "pino";
import type { ServerSettings } from "../settings/index.ts";
import { EngineWorker, OnnxBackend } from "../engine/engine-worker.ts";
import type { Metrics } from "../metrics/index.ts";
import { describeCheck, initialChoice, runInt8Check } from "./denoiser-choice.ts";
import type { DenoiserChoice } from "./denoiser-choice.ts";

export interface LoadContext {
  settings: ServerSettings;
  metrics: Metrics;
  logger: Logger;
  condCache?: ConditionCache;
}

export class LoadedModel {
  readonly loadedAt = new Date().toISOString();
  private retired = false;
  /** Set by the registry: a worker died, this version needs replacing. */
  onUnhealthy: (() => void) | null = null;

  private constructor(
    readonly dir: string,
    readonly manifest: Manifest,
    readonly tokenizer: CompactTokenizer,
    readonly scheduler: Scheduler,
    readonly workers: EngineWorker[],
    readonly ep: string,
    readonly fallbackReason: string | undefined,
    /** Which denoiser graph serves and why (DENOISER=auto runs the int8 parity check at load). */
    readonly denoiser: DenoiserChoice,
    /** Which decoder serves: ar (ArDec's greedy decode, KV-cached when the artifact has ar_memory + ar_step) or nar (Dec). */
    readonly decoder: "ar" | "nar",
  ) {
    for (const w of workers) w.onDeath = () => this.onUnhealthy?.();
  }

  /** Every engine worker is alive. */
  get healthy(): boolean {
    return this.workers.every((w) => w.alive);
  }

  get id(): string {
    return this.manifest.id;
  }
  get version(): string {
    return this.manifest.version;
  }
  get label(): string {
    return `${this.manifest.id}@${this.manifest.version}`;
  }

  /** Verify (manifest + sha256 of every graph), start the workers, warm every graph once. */
  static async load(dir: string, ctx: LoadContext): Promise<LoadedModel> {
    const { settings, metrics, logger } = ctx;
    const manifest = await readArtifact(dir);
    const tokenizer = CompactTokenizer.fromJSON(manifest.vocabulary);
    const roles = manifest.task === "summarize" ? (["denoiser", "decoder", "cond_encoder"] as const) : (["denoiser", "decoder"] as const);
    const graphs: Record<string, string> = {};
    for (const r of roles) graphs[r] = join(dir, manifest.graphs[r]!.file);
    // An artifact with its encoder can clamp latents (a request's `clamp`, or the manifest's default).
    if (manifest.graphs.encoder) graphs.encoder = join(dir, manifest.graphs.encoder.file);
    // DECODER=ar on an artifact without ArDec's graphs throws here: the version fails to load, saying why.
    const decoder = servedDecoder(manifest, settings.DECODER);
    if (decoder === "ar") for (const r of arDecoderRoles(manifest)) graphs[r] = join(dir, manifest.graphs[r]!.file);
    const first = initialChoice(settings.DENOISER, manifest, settings.EP, { kernel: cpuInfo().int8Kernel, allowed: settings.INT8_AUTO_KERNELS });
    let denoiser: DenoiserChoice = { served: first.try, reason: first.reason };
    if (first.try === "int8") {
      const q = manifest.graphs.denoiser_int8;
      if (!q) throw new Error(`DENOISER=int8 but ${dir} has no denoiser_int8 graph (npm run export:quantize -- ${dir})`);
      graphs.denoiser = join(dir, q.file);
    }
    const start = () => EngineWorker.start({ graphs, ep: settings.EP, strict: settings.EP_STRICT, deviceId: settings.CUDA_DEVICE_ID, intraOpThreads: settings.INTRA_OP_THREADS, cpuMemArena: settings.ORT_CPU_MEM_ARENA, memPattern: settings.ORT_MEM_PATTERN, schedule: manifest.config.schedule, shape: modelShape(manifest.config) });
    const workers: EngineWorker[] = [];
    try {
      if (settings.DENOISER === "auto" && first.try === "int8") {
        // The check runs on the first worker, the one that would serve it (same CPU, threads, EP).
        const w = await start();
        let fail: string | undefined;
        if (w.ep === "cuda") fail = "auto: the CUDA provider is in use, and the int8 graph is a CPU graph";
        else {
          try {
            const r = await runInt8Check(w, dir, manifest);
            if (r.ok) denoiser = { served: "int8", reason: `auto: int8 parity check passed, ${describeCheck(r)}`, check: r };
            else {
              fail = `auto: int8 parity check failed, ${describeCheck(r)}`;
              denoiser = { served: "fp32", reason: fail, check: r };
            }
          } catch (e) {
            fail = `auto: int8 parity check could not run (${e instanceof Error ? e.message : String(e)})`;
          }
        }
        if (fail !== undefined) {
          logger.warn({ model: manifest.id, version: manifest.version, reason: fail }, "serving the fp32 denoiser: int8 did not pass its parity check on this CPU");
          if (!denoiser.check) denoiser = { served: "fp32", reason: fail };
          await w.close();
          graphs.denoiser = join(dir, manifest.graphs.denoiser!.file);
        } else workers.push(w);
      }
      while (workers.length < settings.WORKERS) workers.push(await start());
    } catch (e) {
      await Promise.all(workers.map((w) => w.close()));
      tokenizer.free();
      throw e;
    }
    const ep = workers[0].ep;
    const fallbackReason = workers[0].fallbackReason;
    if (fallbackReason) {
      logger.warn({ model: manifest.id, requested: settings.EP, ep, reason: fallbackReason }, "execution provider fallback: CUDA requested but unavailable, using CPU");
      if (settings.EP === "cuda") metrics.epFallbacks.inc({ requested: "cuda" });
    }
    const cfg = manifest.config;
    const { L, d, condDim } = modelShape(manifest.config);
    const lanes = workers.map((w) => new OnnxBackend(w, L, d, condDim));
    const label = { model: manifest.id };
    const scheduler = new Scheduler({
      lanes,
      math: coreMath(cfg.schedule),
      rowBudget: settings.ROW_BUDGET,
      queueSize: settings.QUEUE_SIZE,
      admissionMs: settings.ADMISSION_DEADLINE_MS,
      condCache: ctx.condCache,
      events: {
        queueSize: (n) => metrics.queueSize.set(label, n),
        runningRows: (n) => metrics.runningRows.set(label, n),
        tick: (rows, ms) => {
          metrics.batchRows.observe(label, rows);
          metrics.denoiserSeconds.observe(label, ms / 1000);
        },
        admitted: (ms) => metrics.queueSeconds.observe(label, ms / 1000),
        condCache: (hit) => metrics.cache("condition", hit),
      },
    });
    const model = new LoadedModel(dir, manifest, tokenizer, scheduler, workers, ep, fallbackReason, denoiser, decoder);
    try {
      await model.warm(lanes);
    } catch (e) {
      await model.close();
      throw new Error(`warm-up failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    logger.info({ model: manifest.id, version: manifest.version, task: manifest.task, ep, denoiser: denoiser.served, denoiserReason: denoiser.reason, decoder, workers: workers.length, dir }, "model loaded and warmed");
    return model;
  }

  /** One call per graph on every worker, so the first user request does not pay session set-up. */
  private async warm(lanes: OnnxBackend[]): Promise<void> {
    const { maxLen: L, latentDim: d } = this.manifest.config;
    // Documents are tokenized on this thread: load tiktoken's WASM now, not on the first request.
    if (this.manifest.task === "summarize") this.tokenizer.encode("warm-up");
    for (const b of lanes) {
      let cond: { data: Float32Array; mask: Float32Array; S: number } | undefined;
      if (b.condDim > 0) {
        const enc = await b.encodeCondition(new Int32Array([3, 4, 5]));
        cond = { data: enc.cond, mask: new Float32Array(enc.len).fill(1), S: enc.len };
      }
      const x0 = await b.denoise({ rows: 1, x: new Float32Array(L * d), xsc: new Float32Array(L * d), t: new Float32Array([0.5]), cond });
      if (x0.length !== L * d || !x0.every(Number.isFinite)) throw new Error("denoiser warm-up produced a wrong shape or non-finite values");
      const ids = await b.decode(x0, 1);
      if (ids.length !== L) throw new Error("decoder warm-up produced a wrong shape");
    }
    if (this.manifest.graphs.encoder) {
      for (const w of this.workers) {
        const out = await w.run("encoder", { tokens: { type: "int64", dims: [1, L], data: new BigInt64Array(L).buffer } }, ["x0"]);
        if (out.x0.data.byteLength !== L * d * 4) throw new Error("encoder warm-up produced a wrong shape");
      }
    }
  }

  /** Stop admitting, let queued and running work finish (up to `timeoutMs`), then free the workers. */
  async retire(timeoutMs: number): Promise<void> {
    if (this.retired) return;
    this.retired = true;
    const drained = this.scheduler.drain();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([drained.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs)))]);
    clearTimeout(timer);
    if (timedOut) {
      // Fail what is left; lanes drop it at their next tick. A lane stuck in a hung worker call is
      // released by close() (which terminates the worker), so do not wait for the drain forever.
      this.scheduler.abortAll();
      await Promise.race([drained, new Promise((r) => setTimeout(r, 2000).unref())]);
    }
    await this.close();
  }

  private async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    this.tokenizer.free();
  }
}
