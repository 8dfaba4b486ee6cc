// The HTTP surface: Hono + @hono/zod-openapi, laid out as in Hono's examples — cross-cutting
// middleware here (each from middleware/), route modules mounted with `app.route`, one error shape
// (errors.ts). `createApp` needs no network and no model, so the OpenAPI document (for the SDK) and
// the validation paths can be produced and tested without starting a server.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { closeWhileDraining } from "../middleware/drain/index.ts";
import { requestLogger } from "../middleware/logging/index.ts";
import { requestMetrics } from "../middleware/request-metrics/index.ts";
import { playgroundRoutes } from "../playground/index.ts";
import { BodyReadError } from "./body.ts";
import { mountDocs } from "./docs.ts";
import { errorJson, mapError } from "./errors.ts";
import { newRouter } from "./router.ts";
import type { AppDeps, AppEnv } from "./router.ts";
import { adminRoutes } from "./routes/admin.ts";
import { inferenceRoutes } from "./routes/inference.ts";
import { opsRoutes } from "./routes/ops.ts";
import { makeSchemas } from "./schemas.ts";

export type { AppDeps, Lifecycle } from "./router.ts";

export const API_VERSION = "0.1.0";
const INFO = { title: "ldtext inference API", version: API_VERSION, description: "Text generation and summarization with latent diffusion (step-level continuous batching on ONNX Runtime)." };

export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const { settings, logger } = deps;
  const app = newRouter();

  app.use(requestId({ headerName: "X-Request-Id", limitLength: 128 }));
  app.use(closeWhileDraining(deps.lifecycle));
  app.use(requestLogger(logger));
  app.use(requestMetrics({ metrics: deps.metrics }));
  app.use(
    secureHeaders({
      // swagger-ui injects inline styles and data: images; everything else is same-origin.
      contentSecurityPolicy: { defaultSrc: ["'self'"], imgSrc: ["'self'", "data:"], styleSrc: ["'self'", "'unsafe-inline'"], objectSrc: ["'none'"], frameAncestors: ["'none'"] },
    }),
  );
  if (settings.CORS_ORIGINS.length > 0) {
    app.use(cors({ origin: settings.CORS_ORIGINS, allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"], exposeHeaders: ["X-Request-Id", "x-queue-time", "x-inference-time", "x-model-version", "Retry-After"] }));
  }

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", description: "API key (when the server has API_KEYS set)" });
  // One schema set for all modules: a component registered twice under one name would clash.
  const S = makeSchemas({ maxN: settings.MAX_N, maxSteps: settings.MAX_STEPS, defaultSteps: settings.DEFAULT_STEPS });
  app.route("/", inferenceRoutes(deps, S));
  app.route("/", opsRoutes(deps, S));
  app.route("/", adminRoutes(deps, S));

  app.doc31("/openapi.json", { openapi: "3.1.0", info: INFO });
  mountDocs(app);
  app.route("/playground", playgroundRoutes());

  app.notFound((c) => errorJson(c, { status: 404, code: "not_found", message: `no route ${c.req.method} ${c.req.path}` }));
  // Every thrown failure, the inference routes' included, is answered here.
  app.onError((err, c) => {
    const m = mapError(err);
    const requestId = c.get("requestId");
    if (m.reason) {
      // An inference outcome: counted; 503 (not ready, draining) and 504 are states, not faults.
      deps.metrics.fail(m.reason);
      if (m.status >= 500 && m.status !== 503 && m.status !== 504) logger.error({ requestId, err: err.message }, "inference error");
    } else if (err instanceof BodyReadError) logger.info({ requestId, detail: err.detail }, "request body not received: the connection closed or broke");
    else if (m.status >= 500) logger.error({ requestId, err: err.message }, "unhandled error");
    return errorJson(c, m);
  });
  return app;
}

/** The OpenAPI 3.1 document, without a model or a server (for SDK generation). */
export function openApiDocument(app: OpenAPIHono<AppEnv>): ReturnType<OpenAPIHono["getOpenAPI31Document"]> {
  return app.getOpenAPI31Document({ openapi: "3.1.0", info: INFO });
}
