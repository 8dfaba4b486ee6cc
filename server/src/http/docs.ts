// Swagger UI from the installed swagger-ui-dist files (no CDN, renders offline).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Env, Hono } from "hono";
import { errorJson } from "./errors.ts";

// A Map, not an object literal: `ASSETS["constructor"]` on a plain object finds Object.prototype's
// function, which passed the check and made readFileSync throw (a 500 naming an absolute path).
const ASSETS: ReadonlyMap<string, string> = new Map([
  ["swagger-ui.css", "text/css; charset=utf-8"],
  ["swagger-ui-bundle.js", "text/javascript; charset=utf-8"],
  ["swagger-ui-standalone-preset.js", "text/javascript; charset=utf-8"],
  ["favicon-32x32.png", "image/png"],
]);

function distDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve("swagger-ui-dist/package.json"));
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ldtext API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"><link rel="icon" href="/docs/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body></html>`;
// Inline scripts would need a CSP exception; a separate file keeps the secure-headers default policy.
const INIT = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });`;

export function mountDocs<E extends Env>(app: Hono<E>): void {
  const dir = distDir();
  const cache = new Map<string, Buffer>();
  app.get("/docs", (c) => c.html(PAGE));
  app.get("/docs/init.js", (c) => c.body(INIT, 200, { "content-type": "text/javascript; charset=utf-8" }));
  app.get("/docs/:file", (c) => {
    const file = c.req.param("file");
    const type = ASSETS.get(file);
    if (type === undefined) return errorJson(c, { status: 404, code: "not_found", message: `no such file: ${file}` });
    let buf = cache.get(file);
    if (!buf) {
      buf = readFileSync(join(dir, file));
      cache.set(file, buf);
    }
    return c.body(new Uint8Array(buf), 200, { "content-type": type, "cache-control": "public, max-age=86400" });
  });
}
