import { test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { Metrics } from "../../metrics/index.ts";
import { requestMetrics } from "./index.ts";

test("counts by route template and status; unmatched paths share one label", async () => {
  const metrics = new Metrics();
  const app = new Hono();
  app.use(requestMetrics({ metrics }));
  app.get("/items/:id", (c) => c.text(c.req.param("id")));
  await app.request("/items/1");
  await app.request("/items/2");
  await app.request("/nowhere");
  const text = await metrics.registry.metrics();
  assert.match(text, /route="\/items\/:id",status="200"} 2/);
  assert.match(text, /route="unmatched",status="404"} 1/);
});
