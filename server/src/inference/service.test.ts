// Overload over loopback with real ONNX Runtime: a small queue refuses the excess with 429 +
// Retry-After, and every admitted request completes.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { metricValue, modelsFolder, postJson, startTestServer } from "../testing/fixtures.ts";
import type { RunningServer } from "../server.ts";

describe("overload", () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startTestServer(await modelsFolder(), { QUEUE_SIZE: "3", ROW_BUDGET: "2", MAX_STEPS: "1000" });
  });
  after(async () => {
    await srv.shutdown();
  });

  test("excess requests get 429 with Retry-After; admitted ones all complete", async () => {
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => postJson(`${srv.url}/generate`, { n: 2, steps: 150, seed: i })));
    const refused = results.filter((r) => r.status === 429);
    const served = results.filter((r) => r.status === 200);
    assert.equal(refused.length + served.length, 16, results.map((r) => r.status).join());
    assert.ok(refused.length >= 8, `refused ${refused.length}`);
    assert.ok(served.length >= 3, `served ${served.length}`);
    for (const r of refused) {
      assert.ok(Number(r.headers.get("retry-after")) >= 1);
      assert.equal((r.json.error as { code: string }).code, "queue_full");
    }
    for (const r of served) assert.equal((r.json.texts as string[]).length, 2);
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    assert.equal(metricValue(text, 'ldtext_failures_total{reason="rejected"}'), refused.length);
    assert.equal(metricValue(text, 'ldtext_requests_total{route="/generate",status="429"}'), refused.length);
    assert.equal(metricValue(text, 'ldtext_queue_size{model="tiny-generate"}'), 0);
    // after the burst, the server serves normally
    assert.equal((await postJson(`${srv.url}/generate`, { steps: 2 })).status, 200);
  });
});
