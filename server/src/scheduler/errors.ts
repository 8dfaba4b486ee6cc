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
/** Queue full: retry after `retryAfterS` seconds. */
export class QueueFullError extends SchedulerError {
  constructor(readonly retryAfterS: number) {
    super("the queue is full, retry later", "rejected");
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
