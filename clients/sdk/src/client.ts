// DiffusionTextClient: the typed openapi-fetch client (paths from generated/schema.d.ts) plus what
// callers expect of an SDK — bearer key, a whole-call deadline, AbortSignal, retries with backoff on
// 429/503 honouring Retry-After, errors that carry the server's message, SSE streams as async iterators.
import createClient from "openapi-fetch";
import type { Client } from "openapi-fetch";
import type { paths } from "./generated/schema.d.ts";
import { ApiError, TimeoutError, apiErrorFrom, apiErrorFromEvent } from "./errors.ts";
import { anySignal } from "./abort.ts";
import { retryDelayMs, sleep } from "./retry.ts";
import { readSse } from "./sse.ts";
import type {
  ClientOptions,
  GenerateRequest,
  GenerateResponse,
  ModelsResponse,
  Readiness,
  RequestOptions,
  StreamEvent,
  SummarizeRequest,
  SummarizeResponse,
} from "./types.ts";

const DEFAULTS = { timeoutMs: 120_000, retries: 2, retryBaseMs: 250, maxRetryDelayMs: 30_000 };

/** What one attempt returns: openapi-fetch's result, narrowed to what the retry loop reads. */
interface Attempt<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** One call's cancellation: the caller's signal and the deadline, told apart when they fire. */
class CallScope {
  readonly signal: AbortSignal;
  readonly deadline: number;
  private readonly timer: ReturnType<typeof setTimeout>;
  private readonly own = new AbortController();
  constructor(
    readonly timeoutMs: number,
    readonly caller: AbortSignal | undefined,
  ) {
    this.deadline = Date.now() + timeoutMs;
    this.timer = setTimeout(() => this.own.abort(new TimeoutError(timeoutMs)), timeoutMs);
    this.signal = caller ? anySignal([caller, this.own.signal]) : this.own.signal;
  }
  /** The error to surface once the signal fired (a TimeoutError, or the caller's abort reason). */
  reason(fallback: unknown): unknown {
    if (this.caller?.aborted) return this.caller.reason;
    if (this.own.signal.aborted) return this.own.signal.reason;
    return fallback;
  }
  /** Ends the call: stops the deadline timer and aborts whatever is still in flight (a stream left early). */
  close(): void {
    clearTimeout(this.timer);
    if (!this.own.signal.aborted) this.own.abort(new Error("call finished"));
  }
  throwIfAborted(): void {
    if (this.signal.aborted) throw this.reason(this.signal.reason);
  }
}

export class DiffusionTextClient {
  private readonly api: Client<paths>;
  private readonly opts: Required<Omit<ClientOptions, "apiKey" | "fetch">>;

  constructor(options: ClientOptions) {
    if (!options.baseUrl) throw new TypeError("DiffusionTextClient: baseUrl is required");
    this.opts = { ...DEFAULTS, ...dropUndefined({ ...options, apiKey: undefined, fetch: undefined }), baseUrl: options.baseUrl.replace(/\/+$/, "") };
    const f = options.fetch ?? ((input: Request) => globalThis.fetch(input));
    this.api = createClient<paths>({
      baseUrl: this.opts.baseUrl,
      fetch: (input: Request) => f(input),
      headers: options.apiKey ? { Authorization: `Bearer ${options.apiKey}` } : {},
    });
  }

  /** Unconditional generation (POST /generate). */
  generate(body: GenerateRequest = {}, o: RequestOptions = {}): Promise<GenerateResponse> {
    return this.unary(o, (signal, headers) => this.api.POST("/generate", { body, signal, headers }));
  }

  /** Summarization (POST /summarize). */
  summarize(body: SummarizeRequest, o: RequestOptions = {}): Promise<SummarizeResponse> {
    return this.unary(o, (signal, headers) => this.api.POST("/summarize", { body, signal, headers }));
  }

  /** Served models (GET /models). */
  models(o: RequestOptions = {}): Promise<ModelsResponse> {
    return this.unary(o, (signal, headers) => this.api.GET("/models", { signal, headers }));
  }

  /**
   * Readiness (GET /health/ready). A 503 is an answer here, not an error: `ready: false` and the
   * server's reason; only an unreachable server throws. No retries (callers poll).
   */
  async health(o: RequestOptions = {}): Promise<Readiness> {
    const scope = new CallScope(o.timeoutMs ?? this.opts.timeoutMs, o.signal);
    try {
      const r = await this.attempt(scope, () => this.api.GET("/health/ready", { signal: scope.signal, headers: requestHeaders(o) }));
      const body = (r.data ?? r.error) as Readiness | undefined;
      if (body && typeof body.ready === "boolean") return body;
      throw apiErrorFrom(r.response, r.error);
    } finally {
      scope.close();
    }
  }

  /** POST /generate/stream: `step` events while the text forms, then `done` with the full response. */
  generateStream(body: GenerateRequest = {}, o: RequestOptions = {}): AsyncGenerator<StreamEvent<GenerateResponse>> {
    return this.stream<GenerateResponse>(o, (signal, headers) => this.api.POST("/generate/stream", { body, signal, headers, parseAs: "stream" }));
  }

  /** POST /summarize/stream: `step` events while the summary forms, then `done` with the full response. */
  summarizeStream(body: SummarizeRequest, o: RequestOptions = {}): AsyncGenerator<StreamEvent<SummarizeResponse>> {
    return this.stream<SummarizeResponse>(o, (signal, headers) => this.api.POST("/summarize/stream", { body, signal, headers, parseAs: "stream" }));
  }

  private async unary<T>(o: RequestOptions, send: (signal: AbortSignal, headers: Record<string, string>) => Promise<Attempt<T>>): Promise<T> {
    const scope = new CallScope(o.timeoutMs ?? this.opts.timeoutMs, o.signal);
    try {
      const r = await this.withRetries(scope, o, (signal) => send(signal, requestHeaders(o)));
      return r.data as T;
    } finally {
      scope.close();
    }
  }

  private async *stream<R>(o: RequestOptions, send: (signal: AbortSignal, headers: Record<string, string>) => Promise<Attempt<ReadableStream<Uint8Array> | null>>): AsyncGenerator<StreamEvent<R>> {
    const scope = new CallScope(o.timeoutMs ?? this.opts.timeoutMs, o.signal);
    try {
      const r = await this.withRetries(scope, o, (signal) => send(signal, requestHeaders(o)));
      const requestId = r.response.headers.get("x-request-id") ?? undefined;
      if (!r.data) throw new ApiError(r.response.status, "empty_stream", "the server answered without a body", requestId);
      try {
        for await (const m of readSse(r.data)) {
          if (m.event === "step") {
            const d = JSON.parse(m.data) as { step: number; steps: number; texts: string[] };
            yield { type: "step", step: d.step, steps: d.steps, texts: d.texts };
          } else if (m.event === "done") {
            yield { type: "done", result: JSON.parse(m.data) as R };
            return;
          } else if (m.event === "error") {
            throw apiErrorFromEvent(JSON.parse(m.data) as unknown, requestId);
          }
        }
      } catch (e) {
        if (e instanceof ApiError) throw e;
        throw scope.signal.aborted ? scope.reason(e) : e;
      }
      throw new ApiError(r.response.status, "stream_ended", "the stream ended before its `done` event", requestId);
    } finally {
      scope.close();
    }
  }

  /** Runs attempts until a 2xx, a non-retryable error, no retries left, or a wait that would pass the deadline. */
  private async withRetries<T>(scope: CallScope, o: RequestOptions, send: (signal: AbortSignal) => Promise<Attempt<T>>): Promise<Attempt<T>> {
    const retries = o.retries ?? this.opts.retries;
    for (let attempt = 0; ; attempt++) {
      const r = await this.attempt(scope, () => send(scope.signal));
      if (r.response.ok) return r;
      const err = apiErrorFrom(r.response, r.error);
      if (attempt >= retries || (err.status !== 429 && err.status !== 503)) throw err;
      const wait = retryDelayMs(attempt, err.retryAfterMs, this.opts);
      // Waiting past the deadline (or past what we agreed to wait) cannot succeed: report the refusal now.
      if (wait === undefined || Date.now() + wait >= scope.deadline) throw err;
      try {
        await sleep(wait, scope.signal);
      } catch (e) {
        throw scope.reason(e);
      }
    }
  }

  private async attempt<T>(scope: CallScope, send: () => Promise<Attempt<T>>): Promise<Attempt<T>> {
    scope.throwIfAborted();
    try {
      return await send();
    } catch (e) {
      throw scope.signal.aborted ? scope.reason(e) : e;
    }
  }
}

function requestHeaders(o: RequestOptions): Record<string, string> {
  return o.requestId ? { "X-Request-Id": o.requestId } : {};
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
