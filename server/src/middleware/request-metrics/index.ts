// Request count and latency per route template (not the raw path: the label set stays bounded).
import type { MiddlewareHandler } from "hono";
import type { Metrics } from "../../metrics/index.ts";

export interface RequestMetricsOptions {
  metrics: Pick<Metrics, "requests" | "requestSeconds">;
}

export function requestMetrics(opts: RequestMetricsOptions): MiddlewareHandler {
  return async (c, next) => {
    const start = performance.now();
    await next();
    // A request no route matched only met the catch-all middleware: one label for all of them.
    const route = c.req.routePath === "/*" ? "unmatched" : c.req.routePath;
    opts.metrics.requests.inc({ route, status: String(c.res.status) });
    opts.metrics.requestSeconds.observe({ route }, (performance.now() - start) / 1000);
  };
}
