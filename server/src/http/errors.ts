// One place that turns any failure into an HTTP status and a JSON body — never a stack trace.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { CancelledError, DeadlineError, DrainingError, EngineError, QueueFullError, SchedulerError } from "../scheduler/errors.ts";
import { NotReadyError, RequestError } from "../inference/types.ts";
import type { FailureReason } from "../scheduler/errors.ts";
import { BodyReadError } from "./body.ts";

export interface MappedError {
  status: 400 | 401 | 404 | 413 | 415 | 422 | 429 | 499 | 500 | 503 | 504;
  code: string;
  message: string;
  headers?: Record<string, string>;
  /** For the failures metric (inference outcomes only). */
  reason?: FailureReason;
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

export function errorJson(c: Context, m: MappedError) {
  for (const [k, v] of Object.entries(m.headers ?? {})) c.header(k, v);
  const requestId = c.get("requestId" as never) as string | undefined;
  // 499 is nginx's "client closed request": nobody reads it, but logs and metrics do.
  return c.json({ error: { code: m.code, message: m.message, requestId } }, m.status as 400);
}
