// Operations: liveness, readiness, served models, Prometheus metrics. Liveness and readiness are
// public; /models needs an API key when API_KEYS is set, /metrics one of METRICS_KEYS when set.
import { createRoute, z } from "@hono/zod-openapi";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { bearerAuth } from "../../middleware/auth/index.ts";
import { errorResponses, newRouter } from "../router.ts";
import type { AppDeps, AppEnv, Schemas } from "../router.ts";

export function opsRoutes(deps: AppDeps, S: Schemas): OpenAPIHono<AppEnv> {
  const { settings, inference, metrics, lifecycle } = deps;
  const app = newRouter();
  app.use("/models", bearerAuth({ keys: settings.API_KEYS }));
  app.use("/metrics", bearerAuth({ keys: settings.METRICS_KEYS, realm: "ldtext-metrics" }));

  const models = createRoute({
    method: "get",
    path: "/models",
    summary: "Served models and the last reload's outcome",
    security: [{ bearer: [] }],
    responses: { 200: { description: "Models", content: { "application/json": { schema: S.ModelsResponse } } }, 401: errorResponses(S)[401] },
  });
  app.openapi(models, (c) => c.json({ models: inference.models(), lastReload: inference.lastReload() ?? undefined }, 200));

  const live = createRoute({
    method: "get",
    path: "/health/live",
    summary: "Liveness",
    responses: { 200: { description: "The process is up", content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } } } },
  });
  app.openapi(live, (c) => c.json({ status: "ok" as const }, 200));

  const ready = createRoute({
    method: "get",
    path: "/health/ready",
    summary: "Readiness (models loaded and warmed, not draining)",
    responses: {
      200: { description: "Ready", content: { "application/json": { schema: S.ReadyResponse } } },
      503: { description: "Not ready", content: { "application/json": { schema: S.ReadyResponse } } },
    },
  });
  app.openapi(ready, (c) => {
    const r = inference.readiness();
    if (lifecycle.draining) return c.json({ ...r, ready: false, reason: "draining" }, 503);
    return c.json(r, r.ready ? 200 : 503);
  });

  const prometheus = createRoute({
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics",
    responses: { 200: { description: "Prometheus text format", content: { "text/plain": { schema: z.string() } } } },
  });
  app.openapi(prometheus, async (c) => c.text(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType }));

  return app;
}
