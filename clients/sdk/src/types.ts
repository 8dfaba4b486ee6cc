// Public request/response types, named after the OpenAPI components (generated/schema.d.ts), so the
// SDK's signatures change exactly when the server's schema does.
import type { components } from "./generated/schema.d.ts";

type Schemas = components["schemas"];
export type GenerateRequest = Schemas["GenerateRequest"];
export type SummarizeRequest = Schemas["SummarizeRequest"];
export type GenerateResponse = Schemas["GenerateResponse"];
export type SummarizeResponse = Schemas["SummarizeResponse"];
export type ModelsResponse = Schemas["ModelsResponse"];
export type ModelInfo = Schemas["ModelInfo"];
export type Readiness = Schemas["Readiness"];
export type ErrorBody = Schemas["Error"];
export type Sampler = NonNullable<GenerateRequest["sampler"]>;

/** A `step` event: the texts decoded from the current latent after `step` of `steps` denoising steps. */
export interface StepEvent {
  type: "step";
  step: number;
  steps: number;
  texts: string[];
}

/** The final event: the same body as the non-streaming route. */
export interface DoneEvent<R> {
  type: "done";
  result: R;
}

export type StreamEvent<R> = StepEvent | DoneEvent<R>;

export interface ClientOptions {
  /** Server root, e.g. `http://127.0.0.1:8080` (a path prefix is kept). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` when the server has API_KEYS set. */
  apiKey?: string;
  /** Whole-call deadline in ms, retries and (for streams) the entire stream included. Default 120 000. */
  timeoutMs?: number;
  /** Extra attempts after a 429/503 (the request was not admitted, so repeating it is safe). Default 2. */
  retries?: number;
  /** First backoff delay without Retry-After, doubled per attempt with full jitter. Default 250 ms. */
  retryBaseMs?: number;
  /** Longest wait between attempts; a Retry-After above it ends the retries. Default 30 000 ms. */
  maxRetryDelayMs?: number;
  /** A fetch implementation (tests, proxies); default the global one. It is always called with a Request. */
  fetch?: (input: Request) => Promise<Response>;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Overrides the client's timeoutMs for this call. */
  timeoutMs?: number;
  /** Overrides the client's retries for this call. */
  retries?: number;
  /** Sent as X-Request-Id (the server echoes it in errors and logs). */
  requestId?: string;
}
