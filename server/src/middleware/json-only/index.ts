// JSON bodies only: anything else is refused with 415, which names the actual problem (the media
// type), before the JSON validator reads the body.
import type { MiddlewareHandler } from "hono";
import { errorJson } from "../../http/errors.ts";

export function requireJson(): MiddlewareHandler {
  return async (c, next) => {
    const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (type !== "application/json") return errorJson(c, { status: 415, code: "unsupported_media_type", message: "Content-Type must be application/json" });
    return next();
  };
}
