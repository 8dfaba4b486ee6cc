import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { TokenBuckets, rateLimit } from "./index.ts";

describe("token buckets", () => {
  test("burst, then the sustained rate; keys are independent", () => {
    const b = new TokenBuckets(1 / 1000, 2); // 1 per second, burst 2
    assert.equal(b.take("a", 0), 0);
    assert.equal(b.take("a", 0), 0);
    const wait = b.take("a", 0);
    assert.ok(wait > 0 && wait <= 1000, String(wait));
    assert.equal(b.take("b", 0), 0);
    assert.equal(b.take("a", 1000), 0); // refilled one token
    assert.ok(b.take("a", 1000) > 0);
  });

  test("forgets the oldest key beyond maxKeys", () => {
    const b = new TokenBuckets(1 / 1000, 1, 2);
    b.take("a", 0);
    b.take("b", 0);
    b.take("c", 0); // evicts a
    assert.equal(b.take("a", 0), 0, "a starts with a full bucket again");
  });

  test("middleware: 429 with Retry-After", async () => {
    let now = 0;
    const app = new Hono();
    app.use(rateLimit({ perMinute: 60, burst: 1, keyOf: (c) => c.req.header("x-key") ?? "-", now: () => now }));
    app.get("/", (c) => c.text("ok"));
    assert.equal((await app.request("/", { headers: { "x-key": "a" } })).status, 200);
    const limited = await app.request("/", { headers: { "x-key": "a" } });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), "1");
    assert.equal((await app.request("/", { headers: { "x-key": "b" } })).status, 200);
    now = 1000;
    assert.equal((await app.request("/", { headers: { "x-key": "a" } })).status, 200);
  });

  test("perMinute 0 disables it", async () => {
    const app = new Hono();
    app.use(rateLimit({ perMinute: 0, keyOf: () => "x" }));
    app.get("/", (c) => c.text("ok"));
    for (let i = 0; i < 5; i++) assert.equal((await app.request("/")).status, 200);
  });
});
