// Typed failures: an ApiError for every answer the server refused (its status, code and message, the
// request id to quote in a bug report), a TimeoutError for the client's own deadline. A caller's abort
// is not wrapped: the signal's reason is rethrown, as fetch does.
import type { ErrorBody } from "./types.ts";

export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    /** HTTP status; for a failure reported inside an SSE stream, the status the server maps that code to. */
    readonly status: number,
    /** The server's machine-readable code (`validation_error`, `queue_full`, …). */
    readonly code: string,
    message: string,
    readonly requestId: string | undefined,
    /** For validation errors: each offending field and why. */
    readonly fields: { path: string; message: string }[] = [],
    /** The server's Retry-After, in ms, when it sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

/** Status the server gives each error code (an SSE `error` event arrives after the 200 went out). */
const STATUS_OF_CODE: Record<string, number> = {
  validation_error: 422,
  invalid_request: 422,
  not_found: 404,
  queue_full: 429,
  not_ready: 503,
  unavailable: 503,
  deadline_exceeded: 504,
  cancelled: 499,
};

export function statusOfCode(code: string): number {
  return STATUS_OF_CODE[code] ?? 500;
}

function isErrorBody(x: unknown): x is ErrorBody {
  if (typeof x !== "object" || x === null) return false;
  const e = (x as { error?: unknown }).error;
  return typeof e === "object" && e !== null && typeof (e as { message?: unknown }).message === "string";
}

/** Retry-After as ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** An ApiError from a non-2xx response and its (already parsed) body. */
export function apiErrorFrom(response: Response, body: unknown): ApiError {
  const requestId = response.headers.get("x-request-id") ?? undefined;
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
  if (isErrorBody(body)) {
    const e = body.error;
    return new ApiError(response.status, e.code, e.message, e.requestId ?? requestId, e.fields ?? [], retryAfterMs);
  }
  const text = typeof body === "string" && body.length > 0 ? body.slice(0, 500) : response.statusText || "request failed";
  return new ApiError(response.status, "http_error", `HTTP ${response.status}: ${text}`, requestId, [], retryAfterMs);
}

/** An ApiError from an SSE `error` event's data. */
export function apiErrorFromEvent(data: unknown, requestId: string | undefined): ApiError {
  if (isErrorBody(data)) return new ApiError(statusOfCode(data.error.code), data.error.code, data.error.message, data.error.requestId ?? requestId);
  return new ApiError(500, "stream_error", "the stream reported an unreadable error", requestId);
}
