// The HTTP surface: Hono + @hono/zod-openapi routes, schemas → OpenAPI 3.1, middleware per concern.
// `createApp` needs no network and no model, so the OpenAPI document (for the SDK) and the
// validation paths can be produced and tested without starting a server.
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { streamSSE } from "hono/streaming";
import type { Logger } from "pino";
import type { ServerConfig } from "../config/index.ts";
import type { Metrics } from "../metrics/index.ts";
import type { GenerateParams, GenerateResult, InferenceApi, SummarizeParams, SummarizeResult } from "../inference/types.ts";
import { bearerAuth } from "../middleware/auth/index.ts";
import { rateLimit } from "../middleware/rate-limit/index.ts";
import { requestLogger } from "../middleware/logging/index.ts";
import { BodyReadError, readBody } from "./body.ts";
import { errorJson, mapError } from "./errors.ts";
import { mountDocs } from "./docs.ts";
import { makeSchemas } from "./schemas.ts";
import { playgroundRoutes } from "../playground/index.ts";

export interface Lifecycle {
  /** Set on SIGTERM/SIGINT: readiness turns 503 and inference routes refuse new work. */
  draining: boolean;
}

export interface AppDeps {
  config: ServerConfig;
  inference: InferenceApi;
  metrics: Metrics;
  logger: Logger;
  lifecycle: Lifecycle;
}

type Env = { Variables: { requestId: string; apiKey: string | undefined } };

export const API_VERSION = "0.1.0";

export function createApp(deps: AppDeps): OpenAPIHono<Env> {
  const { config, inference, metrics, logger, lifecycle } = deps;
  const S = makeSchemas({ maxN: config.MAX_N, maxSteps: config.MAX_STEPS, defaultSteps: config.DEFAULT_STEPS });

  const app = new OpenAPIHono<Env>({
    // Schema violations: 422 naming each field (400 is kept for bodies that are not JSON at all).
    defaultHook: (result, c) => {
      if (result.success) return;
      const fields = result.error.issues.map((i) => ({ path: i.path.join(".") || "(body)", message: i.message }));
      const message = fields.map((f) => `${f.path}: ${f.message}`).join("; ");
      return c.json({ error: { code: "validation_error", message, fields, requestId: c.get("requestId") } }, 422);
    },
  });

  app.use(requestId({ headerName: "X-Request-Id", limitLength: 128 }));
  // Shutting down: every answer closes its connection, so no client sends its next request on a
  // keep-alive socket that the closing server is about to drop.
  app.use(async (c, next) => {
    await next();
    if (lifecycle.draining) c.header("Connection", "close");
  });
  app.use(requestLogger(logger));
  app.use(async (c, next) => {
    const start = performance.now();
    await next();
    const route = c.req.routePath === "/*" ? "unmatched" : c.req.routePath;
    metrics.requests.inc({ route, status: String(c.res.status) });
    metrics.requestSeconds.observe({ route }, (performance.now() - start) / 1000);
  });
  app.use(
    secureHeaders({
      // swagger-ui injects inline styles and data: images; everything else is same-origin.
      contentSecurityPolicy: { defaultSrc: ["'self'"], imgSrc: ["'self'", "data:"], styleSrc: ["'self'", "'unsafe-inline'"], objectSrc: ["'none'"], frameAncestors: ["'none'"] },
    }),
  );
  if (config.CORS_ORIGINS.length > 0) {
    app.use(cors({ origin: config.CORS_ORIGINS, allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"], exposeHeaders: ["X-Request-Id", "x-queue-time", "x-inference-time", "x-model-version", "Retry-After"] }));
  }

  const limitBody = readBody({
    maxBytes: config.MAX_BODY_BYTES,
    onTooLarge: (c) => c.json({ error: { code: "payload_too_large", message: `request body exceeds ${config.MAX_BODY_BYTES} bytes`, requestId: c.get("requestId") } }, 413),
  });
  const jsonOnly: MiddlewareHandler<Env> = async (c, next) => {
    const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (type !== "application/json") {
      return c.json({ error: { code: "unsupported_media_type", message: "Content-Type must be application/json", requestId: c.get("requestId") } }, 415);
    }
    return next();
  };
  const notDraining: MiddlewareHandler<Env> = async (c, next) => {
    if (lifecycle.draining) {
      metrics.fail("rejected");
      c.header("Retry-After", "5");
      return c.json({ error: { code: "unavailable", message: "the server is shutting down", requestId: c.get("requestId") } }, 503);
    }
    return next();
  };
  // Per API key; without keys, per client address (the socket's, not a spoofable X-Forwarded-For).
  const keyOf = (c: Context<Env>) => {
    const key = c.get("apiKey");
    if (key !== undefined) return `key:${key}`;
    try {
      return `addr:${getConnInfo(c).remote.address ?? "unknown"}`;
    } catch {
      return "addr:unknown"; // not running on @hono/node-server (app.request in tests)
    }
  };
  const inferenceGuards = [
    notDraining,
    bearerAuth({ keys: config.API_KEYS }),
    rateLimit({ perMinute: config.RATE_LIMIT_PER_MIN, burst: config.RATE_LIMIT_BURST, keyOf, onLimited: () => metrics.fail("rejected") }),
    limitBody,
    jsonOnly,
  ] as MiddlewareHandler<Env>[];
  for (const path of ["/generate", "/generate/stream", "/summarize", "/summarize/stream"]) app.use(path, ...inferenceGuards);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", description: "API key (when the server has API_KEYS set)" });

  const errorResponses = {
    400: { description: "Body is not valid JSON", content: { "application/json": { schema: S.ErrorResponse } } },
    401: { description: "Missing or invalid API key", content: { "application/json": { schema: S.ErrorResponse } } },
    413: { description: "Body over the size limit", content: { "application/json": { schema: S.ErrorResponse } } },
    415: { description: "Content-Type is not application/json", content: { "application/json": { schema: S.ErrorResponse } } },
    422: { description: "A field is invalid (the message names it)", content: { "application/json": { schema: S.ErrorResponse } } },
    429: { description: "Queue full (queue_full), estimated completion past the admission deadline (overloaded) or rate limited; Retry-After says when", content: { "application/json": { schema: S.ErrorResponse } } },
    503: { description: "Not ready or shutting down", content: { "application/json": { schema: S.ErrorResponse } } },
    504: { description: "Deadline passed", content: { "application/json": { schema: S.ErrorResponse } } },
  } as const;
  const timingHeaders = {
    "x-queue-time": { description: "Milliseconds waiting for admission", schema: { type: "string" as const } },
    "x-inference-time": { description: "Milliseconds from admission to the text", schema: { type: "string" as const } },
    "x-model-version": { description: "Model id@version that served the request", schema: { type: "string" as const } },
  };
  const sseDescription =
    "Server-Sent Events: `step` events every k steps (`{step, steps, texts}`, the current decoded text), then one `done` event carrying the same body as the non-streaming route, or one `error` event (`{error}`).";

  const route = (path: string, summary: string, req: z.ZodType, res: z.ZodType, stream: boolean) =>
    createRoute({
      method: "post",
      path,
      summary,
      security: [{ bearer: [] }],
      request: { body: { required: true, content: { "application/json": { schema: req } } } },
      responses: {
        200: stream
          ? { description: sseDescription, content: { "text/event-stream": { schema: z.string() } } }
          : { description: "Generated texts", headers: timingHeaders, content: { "application/json": { schema: res } } },
        ...errorResponses,
      },
    });

  const id = (c: Context<Env>) => c.get("requestId");
  const setTimingHeaders = (c: Context<Env>, r: GenerateResult) => {
    c.header("x-queue-time", r.timings.queueMs.toFixed(1));
    c.header("x-inference-time", r.timings.inferenceMs.toFixed(1));
    c.header("x-model-version", `${r.model.id}@${r.model.version}`);
  };
  const fail = (c: Context<Env>, e: unknown) => {
    const m = mapError(e);
    if (m.reason) metrics.fail(m.reason);
    if (m.status >= 500 && m.status !== 503 && m.status !== 504) logger.error({ requestId: id(c), err: e instanceof Error ? e.message : String(e) }, "inference error");
    return errorJson(c, m);
  };

  const unary = <P, R extends GenerateResult>(call: (p: P, o: { requestId: string; signal: AbortSignal }) => Promise<R>) =>
    async (c: Context<Env>, body: P) => {
      try {
        const r = await call(body, { requestId: id(c), signal: c.req.raw.signal });
        setTimingHeaders(c, r);
        return c.json({ id: id(c), ...r }, 200);
      } catch (e) {
        return fail(c, e);
      }
    };

  const streaming = <P, R extends GenerateResult>(
    call: (p: P, o: { requestId: string; signal: AbortSignal; every: number; onStep: (step: number, texts: string[]) => void }) => Promise<R>,
    stepsOf: (p: P) => number,
  ) =>
    (c: Context<Env>, body: P) => {
      const ac = new AbortController();
      c.req.raw.signal.addEventListener("abort", () => ac.abort(), { once: true });
      const buffered: { event: string; data: string }[] = [];
      let push: ((e: { event: string; data: string }) => void) | null = null;
      const emit = (event: string, data: unknown) => {
        const e = { event, data: JSON.stringify(data) };
        if (push) push(e);
        else buffered.push(e);
      };
      let pending: Promise<R>;
      try {
        // Refusals (queue full, draining, bad length) are thrown here, before the stream starts.
        pending = call(body, { requestId: id(c), signal: ac.signal, every: config.STREAM_EVERY, onStep: (step, texts) => emit("step", { step, steps: stepsOf(body), texts }) });
      } catch (e) {
        return fail(c, e);
      }
      const outcome = pending.then(
        (r) => ({ ok: true as const, r }),
        (e: unknown) => ({ ok: false as const, e }),
      );
      return streamSSE(c, async (stream) => {
        stream.onAbort(() => ac.abort());
        let chain = Promise.resolve();
        push = (e) => {
          chain = chain.then(() => stream.writeSSE(e)).catch(() => {});
        };
        for (const e of buffered.splice(0)) push(e);
        const o = await outcome;
        if (o.ok) emit("done", { id: id(c), ...o.r });
        else {
          const m = mapError(o.e);
          if (m.reason) metrics.fail(m.reason);
          emit("error", { error: { code: m.code, message: m.message, requestId: id(c) } });
        }
        await chain;
      });
    };

  const gen = (p: GenerateParams, o: Parameters<InferenceApi["generate"]>[1]) => inference.generate(p, o);
  const sum = (p: SummarizeParams, o: Parameters<InferenceApi["summarize"]>[1]) => inference.summarize(p, o);
  const genUnary = unary<GenerateParams, GenerateResult>(gen);
  const sumUnary = unary<SummarizeParams, SummarizeResult>(sum);
  const genStream = streaming<GenerateParams, GenerateResult>(gen, (p) => p.steps);
  const sumStream = streaming<SummarizeParams, SummarizeResult>(sum, (p) => p.steps);

  app.openapi(route("/generate", "Unconditional text generation", S.GenerateRequest, S.GenerateResponse, false), (c) => genUnary(c, c.req.valid("json") as GenerateParams));
  app.openapi(route("/summarize", "Summarize a document", S.SummarizeRequest, S.SummarizeResponse, false), (c) => sumUnary(c, c.req.valid("json") as SummarizeParams));
  app.openapi(route("/generate/stream", "Unconditional generation, streamed (SSE)", S.GenerateRequest, S.GenerateResponse, true), (c) => genStream(c, c.req.valid("json") as GenerateParams));
  app.openapi(route("/summarize/stream", "Summarization, streamed (SSE)", S.SummarizeRequest, S.SummarizeResponse, true), (c) => sumStream(c, c.req.valid("json") as SummarizeParams));

  // Public: liveness, readiness, the API description. /models (what is served, the last reload's
  // failures) needs an API key when API_KEYS is set; /metrics one of METRICS_KEYS when that is set.
  app.use("/models", bearerAuth({ keys: config.API_KEYS }));
  app.use("/metrics", bearerAuth({ keys: config.METRICS_KEYS, realm: "ldtext-metrics" }));
  app.openapi(
    createRoute({
      method: "get",
      path: "/models",
      summary: "Served models and the last reload's outcome",
      security: [{ bearer: [] }],
      responses: { 200: { description: "Models", content: { "application/json": { schema: S.ModelsResponse } } }, 401: errorResponses[401] },
    }),
    (c) => c.json({ models: inference.models(), lastReload: inference.lastReload() ?? undefined }, 200),
  );
  app.openapi(
    createRoute({ method: "get", path: "/health/live", summary: "Liveness", responses: { 200: { description: "The process is up", content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } } } } }),
    (c) => c.json({ status: "ok" as const }, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/health/ready",
      summary: "Readiness (models loaded and warmed, not draining)",
      responses: {
        200: { description: "Ready", content: { "application/json": { schema: S.ReadyResponse } } },
        503: { description: "Not ready", content: { "application/json": { schema: S.ReadyResponse } } },
      },
    }),
    (c) => {
      const r = inference.readiness();
      if (lifecycle.draining) return c.json({ ...r, ready: false, reason: "draining" }, 503);
      return c.json(r, r.ready ? 200 : 503);
    },
  );
  app.openapi(
    createRoute({ method: "get", path: "/metrics", summary: "Prometheus metrics", responses: { 200: { description: "Prometheus text format", content: { "text/plain": { schema: z.string() } } } } }),
    async (c) => c.text(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType }),
  );

  const admin = config.ADMIN_KEYS;
  app.use("/admin/*", async (c, next) => {
    if (admin.length === 0) return c.json({ error: { code: "forbidden", message: "admin routes are disabled (set ADMIN_KEYS)", requestId: c.get("requestId") } }, 403);
    return next();
  });
  app.use("/admin/*", bearerAuth({ keys: admin, realm: "ldtext-admin" }), limitBody);
  app.openapi(
    createRoute({
      method: "post",
      path: "/admin/reload",
      summary: "Rescan MODELS_DIR and hot-swap changed models (load, verify, warm, switch; failures keep the old version)",
      security: [{ bearer: [] }],
      responses: {
        200: { description: "Every changed model was swapped in", content: { "application/json": { schema: S.ReloadResponse } } },
        401: errorResponses[401],
        403: { description: "Admin routes disabled", content: { "application/json": { schema: S.ErrorResponse } } },
        422: { description: "A model failed to load; the previous version keeps serving", content: { "application/json": { schema: S.ReloadResponse } } },
      },
    }),
    async (c) => {
      const r = await inference.reload();
      return c.json(r, r.failed.length > 0 ? 422 : 200);
    },
  );

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "ldtext inference API", version: API_VERSION, description: "Text generation and summarization with latent diffusion (step-level continuous batching on ONNX Runtime)." },
  });
  mountDocs(app);
  app.route("/playground", playgroundRoutes());

  app.notFound((c) => c.json({ error: { code: "not_found", message: `no route ${c.req.method} ${c.req.path}`, requestId: c.get("requestId") } }, 404));
  app.onError((err, c) => {
    const m = mapError(err);
    if (err instanceof BodyReadError) logger.info({ requestId: c.get("requestId"), detail: err.detail }, "request body not received: the connection closed or broke");
    else if (m.status >= 500) logger.error({ requestId: c.get("requestId"), err: err.message }, "unhandled error");
    return errorJson(c, m);
  });
  return app;
}

/** The OpenAPI 3.1 document, without a model or a server (for SDK generation). */
export function openApiDocument(app: OpenAPIHono<Env>): ReturnType<OpenAPIHono["getOpenAPI31Document"]> {
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: { title: "ldtext inference API", version: API_VERSION, description: "Text generation and summarization with latent diffusion (step-level continuous batching on ONNX Runtime)." },
  });
}
