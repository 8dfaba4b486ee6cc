// Graceful shutdown at the HTTP layer: while the server drains, every answer closes its connection
// and new inference work is refused with 503 + Retry-After (admitted work still finishes).
import type { MiddlewareHandler } from "hono";
import { errorJson } from "../../http/errors.ts";

/** Shared with server.ts, which sets `draining` on SIGTERM/SIGINT. */
export interface DrainState {
  draining: boolean;
}

/**
 * Shutting down: every answer carries `Connection: close`, so no client sends its next request on a
 * keep-alive socket that the closing server is about to drop.
 */
export function closeWhileDraining(state: DrainState): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (state.draining) c.header("Connection", "close");
  };
}

export interface RefuseWhileDrainingOptions {
  state: DrainState;
  /** Called for each refused request (metrics). */
  onRefused?: () => void;
}

/** Refuses new work (503, Retry-After: 5) once draining started. */
export function refuseWhileDraining(opts: RefuseWhileDrainingOptions): MiddlewareHandler {
  return async (c, next) => {
    if (!opts.state.draining) return next();
    opts.onRefused?.();
    return errorJson(c, { status: 503, code: "unavailable", message: "the server is shutting down", headers: { "Retry-After": "5" } });
  };
}
