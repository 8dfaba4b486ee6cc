// The server's side of the playground: it serves the committed files as they are. The page itself
// (its source, build, staleness check and browser test) is tested in clients/playground; this keeps
// a server-only test run covering /playground without any client code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { playgroundRoutes } from "./index.ts";

const file = (name: string) => readFileSync(new URL(`./static/${name}`, import.meta.url), "utf8");

test("serves the page, its style and the committed bundle byte for byte", async () => {
  const app = playgroundRoutes();
  for (const [path, name, type] of [
    ["/", "index.html", "text/html"],
    ["/app.js", "playground.min.js", "text/javascript"],
    ["/style.css", "style.css", "text/css"],
  ] as const) {
    const res = await app.request(path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get("content-type") ?? "", new RegExp(`^${type};`), path);
    assert.equal(await res.text(), file(name), path);
  }
});

test("the page loads what the routes serve, and the bundle needs nothing else", () => {
  const html = file("index.html");
  assert.match(html, /<script type="module" src="\/playground\/app\.js"><\/script>/);
  assert.match(html, /href="\/playground\/style\.css"/);
  const js = file("playground.min.js");
  assert.ok(js.includes("/generate/stream"), "the SDK is bundled in");
  // Served as a plain file: a bare module specifier left in it (an import of the SDK not bundled in)
  // cannot load in a browser.
  assert.doesNotMatch(js, /(?<![.$\w])(?:from|import)\s*\(?\s*["'](?![./])/);
});
