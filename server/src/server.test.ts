// End to end over loopback with real ONNX Runtime: random-weight tiny artifacts from the exporter.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { modelsFolder, metricValue, parseSse, postJson, setSampling, startTestServer, writeModel } from "./testing/fixtures.ts";
import type { RunningServer } from "./server.ts";
import { mbrSelect } from "@ldtext/core";

let srv: RunningServer;
let url: string;

before(async () => {
  srv = await startTestServer(await modelsFolder(), { RESPONSE_CACHE_SIZE: "64", STREAM_EVERY: "2", ROW_BUDGET: "64", MAX_STEPS: "10000" });
  url = srv.url;
});
after(async () => {
  await srv.shutdown();
});

describe("routes (happy paths)", () => {
  test("health, readiness and models", async () => {
    assert.equal((await fetch(`${url}/health/live`)).status, 200);
    const ready = await fetch(`${url}/health/ready`);
    assert.equal(ready.status, 200);
    const r = (await ready.json()) as { ready: boolean; models: { executionProvider: string }[] };
    assert.equal(r.ready, true);
    assert.equal(r.models[0].executionProvider, "cpu");
    const m = (await (await fetch(`${url}/models`)).json()) as { models: { id: string; task: string; maxLength: number }[] };
    assert.deepEqual(m.models.map((x) => x.task).sort(), ["generate", "summarize"]);
    assert.equal(m.models[0].maxLength, 16);
  });

  test("POST /generate returns n texts, the seed, timings and headers", async () => {
    const r = await postJson(`${url}/generate`, { n: 3, steps: 8, sampler: "sde", seed: 11 }, { "x-request-id": "my-req-1" });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal((r.json.texts as string[]).length, 3);
    assert.equal(r.json.seed, 11);
    assert.equal(r.json.steps, 8);
    assert.equal(r.json.id, "my-req-1");
    assert.equal(r.headers.get("x-request-id"), "my-req-1");
    assert.equal(r.headers.get("x-model-version"), "tiny-generate@1");
    assert.ok(Number(r.headers.get("x-inference-time")) > 0);
    assert.ok(r.headers.get("x-queue-time") !== null);
    const t = r.json.timings as { queueMs: number; inferenceMs: number; totalMs: number };
    assert.ok(t.totalMs >= t.inferenceMs);
    // without a seed, one is chosen and echoed
    const r2 = await postJson(`${url}/generate`, { steps: 2 });
    assert.equal(typeof r2.json.seed, "number");
  });

  test("POST /summarize with guidance reports the document policy", async () => {
    const doc = "The council approved the new budget on Tuesday. ".repeat(40);
    const r = await postJson(`${url}/summarize`, { document: doc, steps: 6, guidance: 1.5, seed: 3, maxLength: 10 });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const d = r.json.document as { tokens: number; truncated: boolean; policy: string };
    assert.equal(d.tokens, 32);
    assert.equal(d.truncated, true);
    assert.match(d.policy, /head/);
    assert.equal(r.json.length, 10);
    const short = await postJson(`${url}/summarize`, { document: "Short text.", steps: 4, seed: 3 });
    assert.equal((short.json.document as { truncated: boolean }).truncated, false);
  });

  test("SSE streams: step events with text every k steps, then done", async () => {
    for (const [path, body] of [
      ["/generate/stream", { steps: 6, seed: 4 }],
      ["/summarize/stream", { document: "A storm hit the coast.", steps: 6, seed: 4 }],
    ] as const) {
      const res = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
      const events = parseSse(await res.text());
      assert.deepEqual(events.map((e) => e.event), ["step", "step", "done"]);
      assert.deepEqual(events.map((e) => (e.data as { step?: number }).step), [2, 4, undefined]);
      assert.equal(((events[0].data as { texts: string[] }).texts).length, 1);
      // the streamed result equals the unary result for the same seed
      const unary = await postJson(`${url}${path.replace("/stream", "")}`, body);
      assert.deepEqual((events[2].data as { texts: string[] }).texts, unary.json.texts);
    }
  });

  test("openapi.json is OpenAPI 3.1 with every route; /docs serves Swagger UI from local files", async () => {
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    assert.equal(doc.openapi, "3.1.0");
    for (const p of ["/generate", "/summarize", "/generate/stream", "/summarize/stream", "/models", "/health/ready", "/metrics", "/admin/reload"]) assert.ok(doc.paths[p], p);
    const html = await (await fetch(`${url}/docs`)).text();
    assert.match(html, /swagger-ui-bundle\.js/);
    assert.doesNotMatch(html, /https?:\/\//, "no CDN");
    const js = await fetch(`${url}/docs/swagger-ui-bundle.js`);
    assert.equal(js.status, 200);
    assert.ok((await js.arrayBuffer()).byteLength > 100_000);
    assert.equal((await fetch(`${url}/docs/swagger-ui.css`)).status, 200);
    assert.equal((await fetch(`${url}/docs/..%2Fpackage.json`)).status, 404);
  });

  test("metrics expose queue, rows, batches, durations, requests, failures, cache and model info", async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const name of [
      "ldtext_queue_size",
      "ldtext_running_rows",
      "ldtext_batch_rows_bucket",
      "ldtext_denoiser_call_seconds_bucket",
      "ldtext_queue_time_seconds_bucket",
      "ldtext_request_duration_seconds_bucket",
      'ldtext_requests_total{route="/generate",status="200"}',
      'ldtext_failures_total{reason="cancelled"}',
      'ldtext_cache_hits_total{cache="condition"}',
      'ldtext_model_info{model="tiny-generate",version="1",task="generate",ep="cpu",denoiser="fp32"} 1',
    ]) {
      assert.ok(text.includes(name), name);
    }
  });
});

describe("determinism and batching", () => {
  test("the same seed gives the same texts alone and inside a busy batch", async () => {
    const spec = { n: 2, steps: 12, sampler: "sde", seed: 777 };
    const aloneRes = await postJson(`${url}/generate`, { ...spec, length: 16 });
    const alone = aloneRes.json.texts as string[];
    const before = await (await fetch(`${url}/metrics`)).text();
    const callsBefore = metricValue(before, 'ldtext_batch_rows_count{model="tiny-generate"}');
    const rowsBefore = metricValue(before, 'ldtext_batch_rows_sum{model="tiny-generate"}');
    // a busy batch: other seeds, step counts and samplers; our request arrives in the middle
    const others = [1, 2, 3, 4, 5, 6].map((i) => postJson(`${url}/generate`, { n: 1 + (i % 3), steps: 4 + 3 * i, sampler: ["ddim", "sde", "ode"][i % 3], seed: 1000 + i }));
    // length 15 (not 16) so the response cache cannot answer; the ids are the same, the cut is later
    const busy = postJson(`${url}/generate`, { ...spec, length: 15 });
    const [busyRes] = await Promise.all([busy, ...others]);
    assert.equal(busyRes.status, 200);
    assert.equal(busyRes.json.cached, false);
    const after = await (await fetch(`${url}/metrics`)).text();
    const calls = metricValue(after, 'ldtext_batch_rows_count{model="tiny-generate"}') - callsBefore;
    const rows = metricValue(after, 'ldtext_batch_rows_sum{model="tiny-generate"}') - rowsBefore;
    assert.ok(rows / calls > 2, `requests shared denoiser calls (mean ${rows / calls} rows per call)`);
    // same text up to the shorter length cut: compare by re-requesting length 15 alone
    const alone15 = await postJson(`${url}/generate`, { ...spec, length: 15, seed: 777, n: 2, steps: 12 });
    assert.deepEqual(busyRes.json.texts, alone15.json.texts);
    assert.equal(alone.length, 2);
    const other = await postJson(`${url}/generate`, { ...spec, seed: 778 });
    assert.notDeepEqual(other.json.texts, alone);
  });

  test("identical seeded requests are served from the response cache", async () => {
    const body = { steps: 5, seed: 4242 };
    const a = await postJson(`${url}/generate`, body);
    const b = await postJson(`${url}/generate`, body);
    assert.equal(a.json.cached, false);
    assert.equal(b.json.cached, true);
    assert.deepEqual(a.json.texts, b.json.texts);
    const text = await (await fetch(`${url}/metrics`)).text();
    assert.ok(metricValue(text, 'ldtext_cache_hits_total{cache="response"}') >= 1);
  });

  test("a repeated document reuses its condition encoding", async () => {
    const doc = "Scientists found water on a distant moon.";
    const before = metricValue(await (await fetch(`${url}/metrics`)).text(), 'ldtext_cache_hits_total{cache="condition"}');
    await postJson(`${url}/summarize`, { document: doc, steps: 2 });
    await postJson(`${url}/summarize`, { document: doc, steps: 2 });
    const after = metricValue(await (await fetch(`${url}/metrics`)).text(), 'ldtext_cache_hits_total{cache="condition"}');
    assert.ok(after >= before + 1);
  });
});

describe("cancellation", () => {
  test("a client that disconnects mid-request frees its rows (metrics)", async () => {
    const cancelledBefore = metricValue(await (await fetch(`${url}/metrics`)).text(), 'ldtext_failures_total{reason="cancelled"}');
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${url}/generate/stream`, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
        assert.equal(res.statusCode, 200);
        res.once("data", () => {
          // first step event arrived: the request holds rows now; hang up
          req.destroy();
          resolve();
        });
      });
      req.on("error", () => {});
      req.once("timeout", () => reject(new Error("timeout")));
      req.end(JSON.stringify({ n: 4, steps: 5000, seed: 1 }));
    });
    let text = "";
    for (let i = 0; i < 200; i++) {
      text = await (await fetch(`${url}/metrics`)).text();
      if (metricValue(text, 'ldtext_running_rows{model="tiny-generate"}') === 0 && metricValue(text, 'ldtext_failures_total{reason="cancelled"}') > cancelledBefore) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(metricValue(text, 'ldtext_running_rows{model="tiny-generate"}'), 0);
    assert.equal(metricValue(text, 'ldtext_failures_total{reason="cancelled"}'), cancelledBefore + 1);
    assert.ok(performance.now() - started < 10_000, "rows left long before 5000 steps");
  });
});

describe("overload", () => {
  test("a burst beyond what finishes within ADMISSION_DEADLINE_MS is refused at once: 429 overloaded with Retry-After, never a timeout", async () => {
    const s = await startTestServer(await modelsFolder(), { ADMISSION_DEADLINE_MS: "400", ROW_BUDGET: "4", QUEUE_SIZE: "1000", RESPONSE_CACHE_SIZE: "0" });
    try {
      await postJson(`${s.url}/generate`, { n: 4, steps: 12 }); // the drain rate is measured from real ticks
      const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => postJson(`${s.url}/generate`, { n: 4, steps: 40, seed: i })));
      const statuses = burst.map((r) => r.status);
      assert.deepEqual([...new Set(statuses)].sort(), [200, 429], statuses.join());
      const refused = burst.filter((r) => r.status === 429);
      for (const r of refused) {
        assert.equal((r.json.error as { code: string }).code, "overloaded");
        assert.ok(Number(r.headers.get("retry-after")) >= 1);
      }
      assert.ok(refused.length >= 20, `${refused.length} of 40 refused`);
    } finally {
      await s.shutdown();
    }
  });
});

describe("served default guidance (manifest sampling.guidance)", () => {
  let own: RunningServer;
  before(async () => {
    const dir = await modelsFolder();
    setSampling(dir, "summarize", { guidance: 2 });
    own = await startTestServer(dir);
  });
  after(async () => {
    await own.shutdown();
  });

  test("a request without guidance gets the model's evaluated default; an explicit 0 turns it off; /models shows it", async () => {
    const doc = "The council approved the new budget on Tuesday.";
    const unset = await postJson(`${own.url}/summarize`, { document: doc, steps: 4, seed: 5 });
    assert.equal(unset.status, 200, JSON.stringify(unset.json));
    assert.equal(unset.json.guidance, 2);
    const off = await postJson(`${own.url}/summarize`, { document: doc, steps: 4, seed: 5, guidance: 0 });
    assert.equal(off.json.guidance, 0);
    assert.notDeepEqual(off.json.texts, unset.json.texts, "guidance 2 and 0 sampled the same texts: the default was not applied");
    const models = (await (await fetch(`${own.url}/models`)).json()) as { models: { task: string; defaultGuidance: number | null }[] };
    assert.deepEqual(models.models.map((m) => [m.task, m.defaultGuidance]).sort(), [["generate", null], ["summarize", 2]]);
  });
});

describe("candidates: the minimum-Bayes-risk summary among k samples (request candidates, manifest sampling.candidates)", () => {
  let own: RunningServer;
  const doc = "The council approved the new budget on Tuesday after a long debate.";
  before(async () => {
    const dir = await modelsFolder();
    setSampling(dir, "summarize", { candidates: 3 });
    own = await startTestServer(dir, { MAX_N: "8" });
  });
  after(async () => {
    await own.shutdown();
  });

  test("summary i is the MBR choice among samples i·k … i·k+k−1 of the seed; the default applies and is reported", async () => {
    const all = await postJson(`${own.url}/summarize`, { document: doc, steps: 4, seed: 9, n: 6, candidates: 1 });
    assert.equal(all.status, 200, JSON.stringify(all.json));
    assert.equal(all.json.candidates, 1);
    const samples = all.json.texts as string[];
    const chosen = await postJson(`${own.url}/summarize`, { document: doc, steps: 4, seed: 9, n: 2 });
    assert.equal(chosen.status, 200, JSON.stringify(chosen.json));
    assert.equal(chosen.json.candidates, 3, "the manifest's default was not applied");
    const expected = [0, 1].map((i) => {
      const group = samples.slice(3 * i, 3 * i + 3);
      return group[mbrSelect(group).index];
    });
    assert.deepEqual(chosen.json.texts, expected);
    const models = (await (await fetch(`${own.url}/models`)).json()) as { models: { task: string; defaultCandidates: number | null }[] };
    assert.deepEqual(models.models.map((m) => [m.task, m.defaultCandidates]).sort(), [["generate", null], ["summarize", 3]]);
  });

  test("an explicit n × candidates above MAX_N is a 422; the default is lowered to fit instead", async () => {
    const bad = await postJson(`${own.url}/summarize`, { document: doc, steps: 2, n: 3, candidates: 3 });
    assert.equal(bad.status, 422, JSON.stringify(bad.json));
    assert.match((bad.json.error as { message: string }).message, /candidates: n × candidates = 9 .*8/);
    const fitted = await postJson(`${own.url}/summarize`, { document: doc, steps: 2, n: 3 });
    assert.equal(fitted.status, 200, JSON.stringify(fitted.json));
    assert.equal(fitted.json.candidates, 2);
    assert.equal((fitted.json.texts as string[]).length, 3);
    const tooMany = await postJson(`${own.url}/summarize`, { document: doc, steps: 2, candidates: 17 });
    assert.equal(tooMany.status, 422, JSON.stringify(tooMany.json));
    assert.equal((tooMany.json.error as { code: string }).code, "validation_error");
  });
});

describe("latent clamping (request clamp, manifest sampling.clamp)", () => {
  let own: RunningServer;
  before(async () => {
    const dir = await modelsFolder();
    // The summarizer gets an evaluated default; a second generator ships without its encoder.
    setSampling(dir, "summarize", { clamp: 0.4 });
    await writeModel(dir, "generate", { folder: "plain", id: "no-encoder", encoder: false });
    own = await startTestServer(dir, { RESPONSE_CACHE_SIZE: "64" });
  });
  after(async () => {
    await own.shutdown();
  });

  test("/models says which models can clamp and their default", async () => {
    const m = (await (await fetch(`${own.url}/models`)).json()) as { models: { id: string; clampable: boolean; defaultClamp: number }[] };
    assert.deepEqual(m.models.map((x) => [x.id, x.clampable, x.defaultClamp]).sort(), [["no-encoder", false, 0], ["tiny-generate", true, 0], ["tiny-summarize", true, 0.4]]);
  });

  test("a request's clamp changes the samples and is echoed; the response cache keys on it", async () => {
    const body = { n: 3, steps: 8, seed: 21, model: "tiny-generate" };
    const off = await postJson(`${own.url}/generate`, body);
    const on = await postJson(`${own.url}/generate`, { ...body, clamp: 0.6 });
    assert.equal(on.status, 200, JSON.stringify(on.json));
    assert.equal(off.json.clamp, 0);
    assert.equal(on.json.clamp, 0.6);
    assert.equal(on.json.cached, false, "a clamped request must not be answered from the unclamped one's cache entry");
    assert.notDeepEqual(on.json.texts, off.json.texts);
    const again = await postJson(`${own.url}/generate`, { ...body, clamp: 0.6 });
    assert.equal(again.json.cached, true);
    assert.deepEqual(again.json.texts, on.json.texts);
  });

  test("a summarizer's default clamp applies when the request gives none; 0 turns it off", async () => {
    const doc = "The council approved the new budget on Tuesday.";
    const unset = await postJson(`${own.url}/summarize`, { document: doc, steps: 6, seed: 5, n: 2 });
    assert.equal(unset.status, 200, JSON.stringify(unset.json));
    assert.equal(unset.json.clamp, 0.4);
    const off = await postJson(`${own.url}/summarize`, { document: doc, steps: 6, seed: 5, n: 2, clamp: 0 });
    assert.equal(off.json.clamp, 0);
    assert.notDeepEqual(off.json.texts, unset.json.texts, "clamp 0.4 and 0 sampled the same texts: the default was not applied");
  });

  test("bad clamp values and a model without an encoder get 422 with the reason", async () => {
    for (const clamp of [-0.1, 1.5, "0.3"]) {
      const r = await postJson(`${own.url}/generate`, { steps: 2, clamp, model: "tiny-generate" });
      assert.equal(r.status, 422, `clamp ${JSON.stringify(clamp)}`);
      assert.equal((r.json.error as { fields: { path: string }[] }).fields[0].path, "clamp");
    }
    const r = await postJson(`${own.url}/generate`, { steps: 2, clamp: 0.3, model: "no-encoder" });
    assert.equal(r.status, 422, JSON.stringify(r.json));
    assert.match((r.json.error as { message: string }).message, /no-encoder@1 ships no encoder graph/);
    const ok = await postJson(`${own.url}/generate`, { steps: 2, clamp: 0, model: "no-encoder" });
    assert.equal(ok.status, 200);
  });
});
