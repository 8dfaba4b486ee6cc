import { SchedulerError } from "@ldtext/core";
// What the HTTP layer asks of inference: validated parameters in, texts and timings out.
import type { SamplerKind } from "@ldtext/core";

export interface GenerateParams {
  n: number;
  steps: number;
  sampler: SamplerKind;
  seed?: number;
  length?: number;
  /** Unset: the model's served default (manifest `sampling.clamp`), else 0 (off). */
  clamp?: number;
  model?: string;
}

export interface SummarizeParams {
  document: string;
  n: number;
  steps: number;
  sampler: SamplerKind;
  seed?: number;
  /** Unset: the model's served default (manifest `sampling.guidance`), else 0. */
  guidance?: number;
  /** Samples per returned summary, the kept one chosen by minimum Bayes risk. Unset: the model's served default (manifest `sampling.candidates`, lowered to fit MAX_N), else 1. */
  candidates?: number;
  /** Unset: the model's served default (manifest `sampling.clamp`), else 0 (off). */
  clamp?: number;
  maxLength?: number;
  model?: string;
}

export interface Timings {
  queueMs: number;
  inferenceMs: number;
  totalMs: number;
}

export interface ModelRef {
  id: string;
  version: string;
}

export interface GenerateResult {
  texts: string[];
  seed: number;
  steps: number;
  sampler: SamplerKind;
  length: number;
  /** Latent clamping threshold the samples used (0 = off). */
  clamp: number;
  model: ModelRef;
  timings: Timings;
  cached: boolean;
}

export interface DocumentReport {
  /** Tokens of the document the model saw. */
  tokens: number;
  truncated: boolean;
  /** How long documents are cut. */
  policy: string;
}

export interface SummarizeResult extends GenerateResult {
  guidance: number;
  /** Samples each returned summary was chosen among (1 = no selection). */
  candidates: number;
  document: DocumentReport;
}

export interface CallOptions {
  requestId: string;
  signal?: AbortSignal;
  /** Streaming: called every `every` steps with the current texts. */
  onStep?: (step: number, texts: string[]) => void;
  every?: number;
}

export interface ModelInfo {
  id: string;
  version: string;
  task: "generate" | "summarize";
  maxLength: number;
  documentLength: number | null;
  executionProvider: string;
  /** The denoiser graph in use: fp32 or int8. */
  denoiser: string;
  /** Why that one (DENOISER=auto: the int8 parity check's result on this CPU). */
  denoiserReason: string;
  /** The decoder in use: ar (ArDec, greedy, over the artifact's ar_memory + ar_step or ar_decoder) or nar (Dec, one call). */
  decoder: "ar" | "nar";
  workers: number;
  loadedAt: string;
  /** Whether requests of its task that name no model go to it (DEFAULT_MODELS, else the registry's choice). */
  default: boolean;
  /** Summarizers: the guidance weight a request without one gets (manifest `sampling.guidance`, else 0); null for generators. */
  defaultGuidance: number | null;
  /** Summarizers: candidates per summary a request without the field gets (manifest `sampling.candidates`, else 1); null for generators. */
  defaultCandidates: number | null;
  /** The clamping threshold a request without one gets (manifest `sampling.clamp`, else 0 = off). */
  defaultClamp: number;
  /** Whether requests may ask for latent clamping (the artifact ships its encoder graph). */
  clampable: boolean;
}

export interface ReloadReport {
  loaded: ModelRef[];
  /** `dir` is relative to MODELS_DIR and `error` names no absolute path (the log has the full text). */
  failed: { dir: string; error: string }[];
  unchanged: ModelRef[];
}

export interface ReadyState {
  ready: boolean;
  reason?: string;
  models: { id: string; version: string; executionProvider: string }[];
}

export interface InferenceApi {
  generate(p: GenerateParams, o: CallOptions): Promise<GenerateResult>;
  summarize(p: SummarizeParams, o: CallOptions): Promise<SummarizeResult>;
  models(): ModelInfo[];
  readiness(): ReadyState;
  reload(): Promise<ReloadReport>;
  /** The outcome of the most recent (re)load, for /models. */
  lastReload(): (ReloadReport & { at: string }) | null;
}

/** A request the model cannot serve (e.g. length above its maximum, unknown model): a 422/404. */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly status: 404 | 422,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** No model can serve yet (still loading, or none loaded): 503. */
export class NotReadyError extends SchedulerError {
  constructor(message = "no model is loaded yet") {
    super(message, "rejected");
  }
}
