import { test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { requireJson } from "./index.ts";

test("application/json (any parameters, any case) passes; other or missing types get 415", async () => {
  const app = new Hono();
  app.post("/", requireJson(), (c) => c.text("ok"));
  const post = (type?: string) => app.request("/", { method: "POST", body: "{}", headers: type ? { "content-type": type } : {} });
  assert.equal((await post("application/json")).status, 200);
  assert.equal((await post("Application/JSON; charset=utf-8")).status, 200);
  const refused = await post("text/plain");
  assert.equal(refused.status, 415);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "unsupported_media_type");
  assert.equal((await post()).status, 415);
});
