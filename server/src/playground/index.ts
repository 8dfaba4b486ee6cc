// The browser playground at /playground: static HTML and CSS plus the committed SDK bundle
// static/playground.min.js. The page's source and its build live with the clients
// (clients/playground: it is a client of the SDK, and the server depends on no client); see its
// src/build.ts for why the bundle is committed. Mounted by the server app with
// `app.route("/playground", playgroundRoutes())`. The server's CSP (default-src 'self') allows it:
// no inline script, every request same-origin.
import { readFileSync } from "node:fs";
import { Hono } from "hono";
import { errorJson } from "../http/errors.ts";

const files = {
  "/": { name: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { name: "playground.min.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { name: "style.css", type: "text/css; charset=utf-8" },
} as const;

const cache = new Map<string, string>();
function load(name: string): string | null {
  let text = cache.get(name);
  if (text === undefined) {
    try {
      text = readFileSync(new URL(`./static/${name}`, import.meta.url), "utf8");
    } catch {
      return null;
    }
    cache.set(name, text);
  }
  return text;
}

export function playgroundRoutes(): Hono {
  const app = new Hono();
  for (const [path, f] of Object.entries(files)) {
    app.get(path, (c) => {
      const text = load(f.name);
      if (text === null) return errorJson(c, { status: 503, code: "unavailable", message: `playground file ${f.name} is missing (run npm run playground:build)` });
      return c.body(text, 200, { "content-type": f.type, "cache-control": "no-cache" });
    });
  }
  return app;
}
