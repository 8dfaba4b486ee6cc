// The one place that builds error bodies and turns any failure into an HTTP status and a JSON body —
// never a stack trace. Routes, middleware, the validation hook, not-found and onError all answer
// through `errorJson` (or `errorBody` for an SSE `error` event), so every error carries the same shape.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { CancelledError, DeadlineError, DrainingError, EngineError, QueueFullError, SchedulerError } from "@ldtext/core";
import { NotReadyError, RequestError } from "../inference/types.ts";
import type { FailureReason } from "@ldtext/core";
import { BodyReadError } from "./body.ts";

/** A field that failed validation (422). */
export interface FieldIssue {
  path: string;
  message: string;
}

/** What an error answer says; `fields` only for validation errors. */
export interface ErrorSpec {
  status: 400 | 401 | 403 | 404 | 413 | 415 | 422 | 429 | 499 | 500 | 503 | 504;
  code: string;
  message: string;
  headers?: Record<string, string>;
  fields?: FieldIssue[];
}

export interface MappedError extends ErrorSpec {
  /** For the failures metric (inference outcomes only). */
  reason?: FailureReason;
}

/** The schema's ErrorResponse. */
export interface ErrorBody {
  error: { code: string; message: string; requestId?: string; fields?: FieldIssue[] };
}

export function mapError(err: unknown): MappedError {
  if (err instanceof QueueFullError) return { status: 429, code: err.code, message: err.message, headers: { "Retry-After": String(err.retryAfterS) }, reason: "rejected" };
  if (err instanceof NotReadyError) return { status: 503, code: "not_ready", message: err.message, headers: { "Retry-After": "5" }, reason: "rejected" };
  if (err instanceof DrainingError) return { status: 503, code: "unavailable", message: err.message, headers: { "Retry-After": "5" }, reason: "rejected" };
  if (err instanceof DeadlineError) return { status: 504, code: "deadline_exceeded", message: err.message, reason: "timeout" };
  if (err instanceof CancelledError) return { status: 499, code: "cancelled", message: err.message, reason: "cancelled" };
  if (err instanceof EngineError) return { status: 500, code: "inference_failed", message: "inference failed", reason: "error" };
  if (err instanceof SchedulerError) return { status: 500, code: "inference_failed", message: "inference failed", reason: err.reason };
  if (err instanceof BodyReadError) return { status: 499, code: "client_closed_request", message: err.message };
  if (err instanceof RequestError) return { status: err.status, code: err.status === 404 ? "not_found" : "invalid_request", message: err.message };
  if (err instanceof HTTPException) {
    const s = err.status;
    if (s === 413) return { status: 413, code: "payload_too_large", message: err.message || "request body too large" };
    if (s === 400) return { status: 400, code: "bad_request", message: err.message || "bad request" };
    if (s === 404) return { status: 404, code: "not_found", message: err.message || "not found" };
    return { status: 400, code: "bad_request", message: err.message || "bad request" };
  }
  return { status: 500, code: "internal", message: "internal server error" };
}

/** The body of an error answer; the request id comes from the requestId middleware when it ran. */
export function errorBody(c: Context, m: Pick<ErrorSpec, "code" | "message" | "fields">): ErrorBody {
  const requestId: string | undefined = c.get("requestId");
  return { error: { code: m.code, message: m.message, ...(m.fields ? { fields: m.fields } : {}), requestId } };
}

export function errorJson(c: Context, m: ErrorSpec): Response {
  for (const [k, v] of Object.entries(m.headers ?? {})) c.header(k, v);
  // 499 is nginx's "client closed request": nobody reads it, but logs and metrics do. Hono's status
  // type has no 499, hence the cast (the one place it is needed).
  return c.json(errorBody(c, m), m.status as 400);
}
