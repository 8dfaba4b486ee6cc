// Why a job did not produce text; the HTTP layer maps each to a status code.
export type FailureReason = "rejected" | "cancelled" | "timeout" | "error";

export class SchedulerError extends Error {
  constructor(
    message: string,
    readonly reason: FailureReason,
  ) {
    super(message);
  }
}
/**
 * Queue full: retry after `retryAfterS` seconds — the estimated time for the work already admitted
 * to drain (`retryAfterMs` unrounded).
 */
export class QueueFullError extends SchedulerError {
  readonly code: string = "queue_full";
  readonly retryAfterS: number;
  constructor(
    readonly retryAfterMs: number,
    message = "the queue is full, retry later",
  ) {
    super(message, "rejected");
    this.retryAfterS = Math.max(1, Math.ceil(retryAfterMs / 1000));
  }
}
/** Admission by estimated completion time: this request would not finish within the admission deadline. */
export class OverloadedError extends QueueFullError {
  override readonly code = "overloaded";
  constructor(retryAfterMs: number, estimatedMs: number, limitMs: number) {
    super(retryAfterMs, `the server is too busy to finish this request within ${Math.round(limitMs / 1000)} s (estimated ${Math.ceil(estimatedMs / 1000)} s), retry later`);
  }
}
/** The scheduler is draining (shutdown or replaced by a new model version). */
export class DrainingError extends SchedulerError {
  constructor() {
    super("the server is shutting down", "rejected");
  }
}
export class CancelledError extends SchedulerError {
  constructor() {
    super("the request was cancelled", "cancelled");
  }
}
export class DeadlineError extends SchedulerError {
  constructor() {
    super("the request deadline passed", "timeout");
  }
}
export class EngineError extends SchedulerError {
  constructor(message: string) {
    super(message, "error");
  }
}
