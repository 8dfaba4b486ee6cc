// Admin: hot reload. Disabled (403) unless ADMIN_KEYS is set, then one of those keys is required.
import { createRoute } from "@hono/zod-openapi";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { bearerAuth } from "../../middleware/auth/index.ts";
import { errorJson } from "../errors.ts";
import { errorResponses, limitBody, newRouter } from "../router.ts";
import type { AppDeps, AppEnv, Schemas } from "../router.ts";

export function adminRoutes(deps: AppDeps, S: Schemas): OpenAPIHono<AppEnv> {
  const { settings, inference } = deps;
  const keys = settings.ADMIN_KEYS;
  const app = newRouter();
  // Every /admin/* path, routes or not: a disabled admin surface answers 403, never 401 or 404.
  app.use("/admin/*", async (c, next) => {
    if (keys.length === 0) return errorJson(c, { status: 403, code: "forbidden", message: "admin routes are disabled (set ADMIN_KEYS)" });
    return next();
  });
  app.use(
    "/admin/*",
    bearerAuth({ keys, realm: "ldtext-admin" }),
    limitBody(settings.MAX_BODY_BYTES),
  );

  const reload = createRoute({
    method: "post",
    path: "/admin/reload",
    summary: "Rescan MODELS_DIR and hot-swap changed models (load, verify, warm, switch; failures keep the old version)",
    security: [{ bearer: [] }],
    responses: {
      200: { description: "Every changed model was swapped in", content: { "application/json": { schema: S.ReloadResponse } } },
      401: errorResponses(S)[401],
      403: { description: "Admin routes disabled", content: { "application/json": { schema: S.ErrorResponse } } },
      422: { description: "A model failed to load; the previous version keeps serving", content: { "application/json": { schema: S.ReloadResponse } } },
    },
  });
  app.openapi(reload, async (c) => {
    const r = await inference.reload();
    return c.json(r, r.failed.length > 0 ? 422 : 200);
  });

  return app;
}
