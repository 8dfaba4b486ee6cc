import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { bearerAuth, keyMatcher } from "./index.ts";

describe("bearer API keys", () => {
  test("keyMatcher finds exactly the matching key, whatever the lengths", () => {
    const m = keyMatcher(["alpha", "a-much-longer-key-0123456789"]);
    assert.equal(m("alpha"), "alpha");
    assert.equal(m("a-much-longer-key-0123456789"), "a-much-longer-key-0123456789");
    assert.equal(m("alph"), null);
    assert.equal(m("alphaa"), null);
    assert.equal(m(""), null);
  });

  test("middleware: 401 with WWW-Authenticate without a valid key; passes the key on", async () => {
    const app = new Hono<{ Variables: { apiKey: string | undefined } }>();
    app.use(bearerAuth({ keys: ["k1"] }));
    app.get("/", (c) => c.text(`hello ${c.get("apiKey")}`));
    const none = await app.request("/");
    assert.equal(none.status, 401);
    assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer realm=/);
    assert.match(((await none.json()) as { error: { message: string } }).error.message, /missing bearer/);
    assert.equal((await app.request("/", { headers: { authorization: "Bearer k2" } })).status, 401);
    assert.equal((await app.request("/", { headers: { authorization: "Basic k1" } })).status, 401);
    const ok = await app.request("/", { headers: { authorization: "Bearer k1" } });
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), "hello k1");
  });

  test("no keys configured: open", async () => {
    const app = new Hono();
    app.use(bearerAuth({ keys: [] }));
    app.get("/", (c) => c.text("ok"));
    assert.equal((await app.request("/")).status, 200);
  });
});
