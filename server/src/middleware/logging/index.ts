// One structured pino line per request, carrying the request id; inference headers included.
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";

export function requestLogger(logger: Logger): MiddlewareHandler<{ Variables: { requestId: string } }> {
  return async (c, next) => {
    const start = performance.now();
    await next();
    const ms = performance.now() - start;
    const status = c.res.status;
    const line = {
      requestId: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Math.round(ms * 10) / 10,
      queueMs: c.res.headers.get("x-queue-time") ?? undefined,
      inferenceMs: c.res.headers.get("x-inference-time") ?? undefined,
    };
    // 503 (loading, draining) and 504 are states the server reports, not its failures.
    if (status >= 500 && status !== 503 && status !== 504) logger.error(line, "request failed");
    else if (status >= 400) logger.warn(line, "request refused");
    else logger.info(line, "request");
  };
}
