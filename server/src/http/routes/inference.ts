// POST /generate, /summarize and their SSE variants: guards (drain, auth, rate limit, body size,
// JSON), one createRoute per route so `c.req.valid("json")` is typed by its schema, and the two
// ways to answer (one JSON body, or step events then `done`).
import { createRoute, z } from "@hono/zod-openapi";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { GenerateResult, InferenceApi } from "../../inference/types.ts";
import { bearerAuth } from "../../middleware/auth/index.ts";
import { refuseWhileDraining } from "../../middleware/drain/index.ts";
import { requireJson } from "../../middleware/json-only/index.ts";
import { rateLimit } from "../../middleware/rate-limit/index.ts";
import { errorBody, mapError } from "../errors.ts";
import { errorResponses, limitBody, newRouter } from "../router.ts";
import type { AppDeps, AppEnv, Schemas } from "../router.ts";

const timingHeaders = {
  "x-queue-time": { description: "Milliseconds waiting for admission", schema: { type: "string" as const } },
  "x-inference-time": { description: "Milliseconds from admission to the text", schema: { type: "string" as const } },
  "x-model-version": { description: "Model id@version that served the request", schema: { type: "string" as const } },
};
const sseDescription =
  "Server-Sent Events: `step` events every k steps (`{step, steps, texts}`, the current decoded text), then one `done` event carrying the same body as the non-streaming route, or one `error` event (`{error}`).";

type CallOptions = Parameters<InferenceApi["generate"]>[1];

/** Per API key; without keys, per client address (the socket's, not a spoofable X-Forwarded-For). */
function callerKey(c: Context<AppEnv>): string {
  const key = c.get("apiKey");
  if (key !== undefined) return `key:${key}`;
  try {
    return `addr:${getConnInfo(c).remote.address ?? "unknown"}`;
  } catch {
    return "addr:unknown"; // not running on @hono/node-server (app.request in tests)
  }
}

export function inferenceRoutes(deps: AppDeps, S: Schemas): OpenAPIHono<AppEnv> {
  const { settings, inference, metrics, lifecycle } = deps;
  const app = newRouter();
  const errors = errorResponses(S);

  const guards = [
    refuseWhileDraining({ state: lifecycle, onRefused: () => metrics.fail("rejected") }),
    bearerAuth({ keys: settings.API_KEYS }),
    rateLimit({ perMinute: settings.RATE_LIMIT_PER_MIN, burst: settings.RATE_LIMIT_BURST, keyOf: callerKey, onLimited: () => metrics.fail("rejected") }),
    limitBody(settings.MAX_BODY_BYTES),
    requireJson(),
  ];
  for (const path of ["/generate", "/generate/stream", "/summarize", "/summarize/stream"]) app.use(path, ...guards);

  // Failures are thrown on to app.onError, which counts them and answers through errors.ts: the
  // routes' typed responses then hold only what the OpenAPI document promises.
  const unary = async <R extends GenerateResult>(c: Context<AppEnv>, call: (o: CallOptions) => Promise<R>) => {
    const id = c.get("requestId");
    const r = await call({ requestId: id, signal: c.req.raw.signal });
    c.header("x-queue-time", r.timings.queueMs.toFixed(1));
    c.header("x-inference-time", r.timings.inferenceMs.toFixed(1));
    c.header("x-model-version", `${r.model.id}@${r.model.version}`);
    return c.json({ id, ...r }, 200);
  };

  const streaming = <R extends GenerateResult>(c: Context<AppEnv>, steps: number, call: (o: CallOptions & { every: number; onStep: (step: number, texts: string[]) => void }) => Promise<R>) => {
    const id = c.get("requestId");
    const ac = new AbortController();
    c.req.raw.signal.addEventListener("abort", () => ac.abort(), { once: true });
    const buffered: { event: string; data: string }[] = [];
    let push: ((e: { event: string; data: string }) => void) | null = null;
    const emit = (event: string, data: unknown) => {
      const e = { event, data: JSON.stringify(data) };
      if (push) push(e);
      else buffered.push(e);
    };
    // Refusals (queue full, draining, bad length) thrown here, before the stream starts, go to onError.
    const pending = call({ requestId: id, signal: ac.signal, every: settings.STREAM_EVERY, onStep: (step, texts) => emit("step", { step, steps, texts }) });
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
      if (o.ok) emit("done", { id, ...o.r });
      else {
        const m = mapError(o.e);
        if (m.reason) metrics.fail(m.reason);
        emit("error", errorBody(c, m));
      }
      await chain;
    });
  };

  const generate = createRoute({
    method: "post",
    path: "/generate",
    summary: "Unconditional text generation",
    security: [{ bearer: [] }],
    request: { body: { required: true, content: { "application/json": { schema: S.GenerateRequest } } } },
    responses: { 200: { description: "Generated texts", headers: timingHeaders, content: { "application/json": { schema: S.GenerateResponse } } }, ...errors },
  });
  app.openapi(generate, (c) => {
    const p = c.req.valid("json");
    return unary(c, (o) => inference.generate(p, o));
  });

  const summarize = createRoute({
    method: "post",
    path: "/summarize",
    summary: "Summarize a document",
    security: [{ bearer: [] }],
    request: { body: { required: true, content: { "application/json": { schema: S.SummarizeRequest } } } },
    responses: { 200: { description: "Generated texts", headers: timingHeaders, content: { "application/json": { schema: S.SummarizeResponse } } }, ...errors },
  });
  app.openapi(summarize, (c) => {
    const p = c.req.valid("json");
    return unary(c, (o) => inference.summarize(p, o));
  });

  const generateStream = createRoute({
    method: "post",
    path: "/generate/stream",
    summary: "Unconditional generation, streamed (SSE)",
    security: [{ bearer: [] }],
    request: { body: { required: true, content: { "application/json": { schema: S.GenerateRequest } } } },
    responses: { 200: { description: sseDescription, content: { "text/event-stream": { schema: z.string() } } }, ...errors },
  });
  app.openapi(generateStream, (c) => {
    const p = c.req.valid("json");
    return streaming(c, p.steps, (o) => inference.generate(p, o));
  });

  const summarizeStream = createRoute({
    method: "post",
    path: "/summarize/stream",
    summary: "Summarization, streamed (SSE)",
    security: [{ bearer: [] }],
    request: { body: { required: true, content: { "application/json": { schema: S.SummarizeRequest } } } },
    responses: { 200: { description: sseDescription, content: { "text/event-stream": { schema: z.string() } } }, ...errors },
  });
  app.openapi(summarizeStream, (c) => {
    const p = c.req.valid("json");
    return streaming(c, p.steps, (o) => inference.summarize(p, o));
  });

  return app;
}
