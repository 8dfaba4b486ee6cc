import { test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { closeWhileDraining, refuseWhileDraining } from "./index.ts";

test("while draining: Connection: close on every answer, new work refused with 503 and Retry-After", async () => {
  const state = { draining: false };
  let refused = 0;
  const app = new Hono();
  app.use(closeWhileDraining(state));
  app.use("/work", refuseWhileDraining({ state, onRefused: () => refused++ }));
  app.get("/work", (c) => c.text("done"));
  app.get("/other", (c) => c.text("other"));

  const before = await app.request("/work");
  assert.equal(before.status, 200);
  assert.equal(before.headers.get("connection"), null);

  state.draining = true;
  const work = await app.request("/work");
  assert.equal(work.status, 503);
  assert.equal(work.headers.get("retry-after"), "5");
  assert.equal(work.headers.get("connection"), "close");
  assert.deepEqual(await work.json(), { error: { code: "unavailable", message: "the server is shutting down" } });
  assert.equal(refused, 1);
  const other = await app.request("/other");
  assert.equal(other.status, 200, "routes without the guard still answer");
  assert.equal(other.headers.get("connection"), "close");
});
