// Server settings from the environment (the deployment's configuration), validated once at start with zod so a typo in a
// deployment fails loudly before the first request instead of surfacing as odd behaviour later.
import { availableParallelism } from "node:os";
import { z } from "zod";
import { INT8_KERNELS } from "@ldtext/core";

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);
const bool = (def: boolean) =>
  z
    .enum(["1", "0", "true", "false", "yes", "no", "on", "off", ""])
    .default(def ? "true" : "false")
    .transform((v) => ["1", "true", "yes", "on"].includes(v));
const splitList = (s: string): string[] => s.split(",").map((x) => x.trim()).filter((x) => x.length > 0);
const list = z.string().default("").transform(splitList);

/**
 * `DEFAULT_MODELS=generate=rocstories-generate,summarize=xsum-summarize`: the model id that serves
 * each task's requests that name no model. Empty = chosen by the registry (the only id serving the
 * task, else the one deployed first — a new id never takes a task over by itself).
 */
const defaultModels = z
  .string()
  .default("")
  .transform((s, ctx) => {
    const out: Partial<Record<"generate" | "summarize", string>> = {};
    for (const part of s.split(",").map((x) => x.trim()).filter((x) => x.length > 0)) {
      const m = /^(generate|summarize)\s*[=:]\s*(\S+)$/.exec(part);
      if (!m) {
        ctx.addIssue({ code: "custom", message: `"${part}" is not task=model-id (task: generate or summarize)` });
        return z.NEVER;
      }
      const task = m[1] as "generate" | "summarize";
      if (out[task] !== undefined) {
        ctx.addIssue({ code: "custom", message: `${task} is given twice` });
        return z.NEVER;
      }
      out[task] = m[2];
    }
    return out;
  });

/** Timer values are capped at a day: setTimeout treats anything above 2^31 − 1 ms as 1 ms. */
const DAY_MS = 86_400_000;

export const ExecutionProviderSchema = z.enum(["cpu", "cuda", "auto"]);
export type ExecutionProviderChoice = z.infer<typeof ExecutionProviderSchema>;

export const ServerSettingsSchema = z.object({
  PORT: int(8080, 0, 65535),
  HOST: z.string().default("0.0.0.0"),
  MODELS_DIR: z.string().default("models"),
  /** The model id per task for requests that name none (see defaultModels). */
  DEFAULT_MODELS: defaultModels,
  /** Largest request body in bytes (413 above it). */
  MAX_BODY_BYTES: int(2 * 1024 * 1024, 1024),
  MAX_STEPS: int(200, 1, 10_000),
  DEFAULT_STEPS: int(50, 1, 10_000),
  MAX_N: int(16, 1, 1024),
  /** Waiting requests per model version before 429. */
  QUEUE_SIZE: int(64, 1),
  /** Denoiser rows one engine lane runs per tick (guided rows count twice). */
  ROW_BUDGET: int(32, 1),
  /** Default and maximum time a request may take end to end (504 after it). */
  REQUEST_DEADLINE_MS: int(120_000, 1, DAY_MS),
  /**
   * Admission by estimated completion time: a request the measured drain rate says would finish
   * later than this is refused at once (429 overloaded + Retry-After) instead of queueing toward a
   * client timeout. 0 = off (only QUEUE_SIZE limits admission).
   */
  ADMISSION_DEADLINE_MS: int(20_000, 0, DAY_MS),
  /** Bearer keys for the inference routes and GET /models (empty = open). */
  API_KEYS: list,
  ADMIN_KEYS: list,
  /** Bearer keys for GET /metrics (empty = open, for an in-cluster Prometheus scraping by pod annotation). */
  METRICS_KEYS: list,
  /** Requests per minute per API key (or per client address without keys); 0 = unlimited. */
  RATE_LIMIT_PER_MIN: int(0, 0),
  RATE_LIMIT_BURST: int(0, 0),
  /** Engine workers per model version and ONNX Runtime intra-op threads per worker. */
  /** Default: one single-threaded worker per core (2 × 1 thread measured faster than 1 × 2 on 2 cores). */
  WORKERS: int(Math.min(64, Math.max(1, availableParallelism())), 1, 64),
  INTRA_OP_THREADS: int(1, 1, 256),
  /**
   * ORT's CPU arena: keeps the largest batch's buffers for reuse and never returns them (RSS stays
   * at its peak after a burst). Off: buffers are freed after each call (see README, Memory).
   */
  ORT_CPU_MEM_ARENA: bool(true),
  /** ORT memory-pattern planning (pre-sized buffers per input shape). */
  ORT_MEM_PATTERN: bool(true),
  COND_CACHE_SIZE: int(256, 0),
  RESPONSE_CACHE_SIZE: int(512, 0),
  DRAIN_TIMEOUT_MS: int(30_000, 0, DAY_MS),
  /**
   * Shutdown: the listener stays open at least this long after SIGTERM (readiness 503, new requests
   * 503 + Connection: close), and connections still open once it closed get this long to finish.
   */
  SHUTDOWN_GRACE_MS: int(3_000, 0, DAY_MS),
  /** Node http server limits: the request head must arrive within HEADERS_TIMEOUT_MS, the whole request (body included) within REQUEST_TIMEOUT_MS (408 and the connection closed otherwise). */
  HEADERS_TIMEOUT_MS: int(10_000, 1, DAY_MS),
  REQUEST_TIMEOUT_MS: int(30_000, 1, DAY_MS),
  /** An idle keep-alive connection is closed after this long. */
  KEEP_ALIVE_TIMEOUT_MS: int(5_000, 1, DAY_MS),
  /** Open connections at most; Node closes connections beyond it at once (0 = no cap). */
  MAX_CONNECTIONS: int(1024, 0),
  EP: ExecutionProviderSchema.default("auto"),
  /** With EP=cuda: fail the start instead of falling back to CPU. */
  EP_STRICT: bool(false),
  CUDA_DEVICE_ID: int(0, 0, 64),
  /**
   * Which denoiser graph to run: auto (default) = the artifact's int8 graph when its parity check
   * passes on this CPU at load, else fp32 with a warning; fp32; int8 (no check; fails without one).
   */
  DENOISER: z.enum(["auto", "fp32", "int8"]).default("auto"),
  /**
   * DENOISER=auto considers int8 only on CPUs whose int8 kernel (core's cpuInfo().int8Kernel) is
   * listed: on AVX2 without VNNI the int8 denoiser was measured no faster than fp32 (bench:serve
   * 2026-12-06, Zen 2: int8/fp32 0.94 at concurrency 32), so auto serves fp32 there. Add `avx2` to
   * let its parity check decide on such a CPU too.
   */
  INT8_AUTO_KERNELS: z.string().default("amx_int8,avx512_vnni,avx_vnni,other").transform(splitList).pipe(z.array(z.enum(INT8_KERNELS))),
  /**
   * Which decoder turns the final latents into tokens: auto (default) = ArDec's greedy decode when
   * the artifact has its graphs (ar_memory + ar_step, or ar_decoder), else Dec; nar = Dec; ar = ArDec (a model without it fails to load).
   */
  DECODER: z.enum(["auto", "nar", "ar"]).default("auto"),
  CORS_ORIGINS: list,
  /** SSE: a `step` event every k denoising steps. */
  STREAM_EVERY: int(5, 1),
  /** Poll MODELS_DIR for new version folders every this many ms; 0 = off (SIGHUP/admin only). */
  MODEL_POLL_MS: int(10_000, 0, DAY_MS),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});
export type ServerSettings = z.infer<typeof ServerSettingsSchema>;

export class SettingsError extends Error {}

/** Parses the environment (only the keys the schema names); throws SettingsError naming each bad key. */
export function loadSettings(env: Record<string, string | undefined> = process.env): ServerSettings {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(ServerSettingsSchema.shape)) {
    const v = env[key];
    if (v !== undefined) picked[key] = v;
  }
  const res = ServerSettingsSchema.safeParse(picked);
  if (!res.success) {
    const lines = res.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new SettingsError(`invalid server configuration:\n  ${lines.join("\n  ")}`);
  }
  if (res.data.DEFAULT_STEPS > res.data.MAX_STEPS) {
    throw new SettingsError(`invalid server configuration:\n  DEFAULT_STEPS (${res.data.DEFAULT_STEPS}) > MAX_STEPS (${res.data.MAX_STEPS})`);
  }
  if (res.data.HEADERS_TIMEOUT_MS > res.data.REQUEST_TIMEOUT_MS) {
    throw new SettingsError(`invalid server configuration:\n  HEADERS_TIMEOUT_MS (${res.data.HEADERS_TIMEOUT_MS}) > REQUEST_TIMEOUT_MS (${res.data.REQUEST_TIMEOUT_MS})`);
  }
  return res.data;
}
