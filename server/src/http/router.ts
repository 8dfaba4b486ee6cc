// What every route module shares: the app's environment and dependencies, and `newRouter`, an
// OpenAPIHono whose schema violations answer through errors.ts. Each module builds its own router
// (Hono's `app.route` pattern); a hook set on the root app would not reach routes defined on them.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Logger } from "pino";
import type { ServerSettings } from "../settings/index.ts";
import type { Metrics } from "../metrics/index.ts";
import type { InferenceApi } from "../inference/types.ts";
import type { DrainState } from "../middleware/drain/index.ts";
import type { MiddlewareHandler } from "hono";
import { readBody } from "./body.ts";
import { errorJson } from "./errors.ts";
import type { makeSchemas } from "./schemas.ts";

/** Set on SIGTERM/SIGINT: readiness turns 503 and inference routes refuse new work. */
export type Lifecycle = DrainState;

export interface AppDeps {
  settings: ServerSettings;
  inference: InferenceApi;
  metrics: Metrics;
  logger: Logger;
  lifecycle: Lifecycle;
}

/** Context variables: set by the requestId and bearerAuth middleware. */
export type AppEnv = { Variables: { requestId: string; apiKey: string | undefined } };

export type Schemas = ReturnType<typeof makeSchemas>;

export function newRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    // Schema violations: 422 naming each field (400 is kept for bodies that are not JSON at all).
    defaultHook: (result, c) => {
      if (result.success) return;
      const fields = result.error.issues.map((i) => ({ path: i.path.join(".") || "(body)", message: i.message }));
      const message = fields.map((f) => `${f.path}: ${f.message}`).join("; ");
      return errorJson(c, { status: 422, code: "validation_error", message, fields });
    },
  });
}

/** The error answers the OpenAPI document lists; routes pick theirs. */
export function errorResponses(S: Schemas) {
  const json = { "application/json": { schema: S.ErrorResponse } };
  return {
    400: { description: "Body is not valid JSON", content: json },
    401: { description: "Missing or invalid API key", content: json },
    413: { description: "Body over the size limit", content: json },
    415: { description: "Content-Type is not application/json", content: json },
    422: { description: "A field is invalid (the message names it)", content: json },
    429: { description: "Queue full (queue_full), estimated completion past the admission deadline (overloaded) or rate limited; Retry-After says when", content: json },
    503: { description: "Not ready or shutting down", content: json },
    504: { description: "Deadline passed", content: json },
  } as const;
}

/** Bodies over `maxBytes` get 413 (inference and admin routes). */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return readBody({ maxBytes, onTooLarge: (c) => errorJson(c, { status: 413, code: "payload_too_large", message: `request body exceeds ${maxBytes} bytes` }) });
}
