// Validation, limits, fuzzing, auth, rate limits, CORS, deadlines — over loopback with real models.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { SeededRandom } from "@ldtext/core";
import { metricValue, modelsFolder, postJson, startTestServer, tempDir } from "../testing/fixtures.ts";
import type { RunningServer } from "../server.ts";

let models: string;
let srv: RunningServer;
let url: string;

before(async () => {
  models = await modelsFolder();
  srv = await startTestServer(models);
  url = srv.url;
});
after(async () => {
  await srv.shutdown();
});

/** Sends raw bytes (fetch cannot send invalid UTF-8 in a string body). */
function rawPost(path: string, body: Buffer, contentType = "application/json"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method: "POST", headers: { "content-type": contentType, "content-length": body.length } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", () => {});
    });
    // The server may answer (413) and close before the whole body is written: EPIPE is expected then.
    req.on("error", (e: NodeJS.ErrnoException) => (e.code === "EPIPE" || e.code === "ECONNRESET" ? undefined : reject(e)));
    req.on("socket", (s) => s.on("error", () => {}));
    req.end(body);
  });
}

describe("validation errors are 4xx naming the field", () => {
  const cases: [string, unknown, number, RegExp][] = [
    ["/generate", { n: 0 }, 422, /^n: /],
    ["/generate", { n: 17 }, 422, /^n: /],
    ["/generate", { n: 1.5 }, 422, /^n: /],
    ["/generate", { n: "2" }, 422, /^n: /],
    ["/generate", { steps: 0 }, 422, /^steps: /],
    ["/generate", { steps: 201 }, 422, /^steps: .*200/],
    ["/generate", { sampler: "euler" }, 422, /^sampler: /],
    ["/generate", { seed: -1 }, 422, /^seed: /],
    ["/generate", { seed: 2 ** 53 }, 422, /^seed: /],
    ["/generate", { length: 17 }, 422, /^length: 17 is above the model's maximum length 16/],
    ["/generate", { length: 0 }, 422, /^length: /],
    ["/generate", { colour: "red" }, 422, /colour/],
    ["/generate", { model: "nope" }, 404, /model: no generate model with id "nope"/],
    ["/generate", [1, 2], 422, /\(body\)/],
    ["/generate", 42, 422, /\(body\)/],
    ["/generate", null, 422, /\(body\)/],
    ["/generate", '{"n": NaN}', 400, /Malformed JSON/],
    ["/generate", '{"n": 1e400}', 422, /^n: /],
    ["/generate", '{"n": ', 400, /Malformed JSON/],
    ["/summarize", {}, 422, /^document: /],
    ["/summarize", { document: "" }, 422, /^document: document must not be empty/],
    ["/summarize", { document: 5 }, 422, /^document: /],
    ["/summarize", { document: "x", guidance: -1 }, 422, /^guidance: /],
    ["/summarize", { document: "x", maxLength: 99 }, 422, /^maxLength: 99 is above/],
    ["/summarize", { document: { nested: [[[{ junk: true }]]] } }, 422, /^document: /],
    ["/summarize/stream", { document: "x", steps: -3 }, 422, /^steps: /],
    ["/generate/stream", { length: 99 }, 422, /^length: /],
  ];
  for (const [path, body, status, message] of cases) {
    test(`${path} ${typeof body === "string" ? body : JSON.stringify(body)} → ${status}`, async () => {
      const r = await postJson(`${url}${path}`, body);
      assert.equal(r.status, status, JSON.stringify(r.json));
      const err = r.json.error as { message: string; code: string; requestId: string };
      assert.match(err.message, message);
      assert.ok(err.requestId);
      assert.doesNotMatch(JSON.stringify(r.json), /at .*\.ts:\d+/, "no stack trace");
    });
  }

  test("wrong content type → 415; unknown route → 404; 10 MB body → 413", async () => {
    assert.equal((await rawPost("/generate", Buffer.from("n=1"), "application/x-www-form-urlencoded")).status, 415);
    assert.equal((await fetch(`${url}/nope`)).status, 404);
    const big = Buffer.from(JSON.stringify({ document: "a".repeat(10 * 1024 * 1024) }));
    const r = await rawPost("/summarize", big);
    assert.equal(r.status, 413);
    assert.match(r.body, /exceeds/);
    // the same without Content-Length (chunked): the limit applies while reading
    const chunked = await new Promise<number>((resolve) => {
      const req = httpRequest(`${url}/summarize`, { method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", () => {});
      req.on("socket", (so) => so.on("error", () => {}));
      req.write('{"document":"');
      for (let i = 0; i < 10; i++) req.write("a".repeat(1024 * 1024));
      req.end('"}');
    });
    assert.equal(chunked, 413);
    assert.equal((await fetch(`${url}/health/ready`)).status, 200);
  });
});

describe("fuzzed bodies never produce a 5xx or kill the server", () => {
  test("invalid UTF-8, a near-limit document, deep nesting", async () => {
    const bad = Buffer.concat([Buffer.from('{"document":"caf'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from(' end","steps":2}')]);
    const r = await rawPost("/summarize", bad);
    assert.equal(r.status, 200, r.body);
    const nearLimit = await postJson(`${url}/summarize`, { document: "word ".repeat(390_000), steps: 2 });
    assert.equal(nearLimit.status, 200);
    assert.equal((nearLimit.json.document as { truncated: boolean }).truncated, true);
    const deep = "[".repeat(500_000) + "]".repeat(500_000);
    const d = await rawPost("/generate", Buffer.from(deep));
    assert.ok(d.status >= 400 && d.status < 500, String(d.status));
  });

  test("200 random bodies", async () => {
    const rnd = new SeededRandom(2024);
    const atoms = (): unknown => {
      const k = rnd.nextInt(12);
      return [null, true, -1, 0, 1e308, -1e308, 2 ** 60, 0.5, "", "x".repeat(rnd.nextInt(50)), "\u0000\ud800", [], {}][k];
    };
    const junk = (depth: number): unknown => {
      if (depth > 3 || rnd.nextFloat() < 0.4) return atoms();
      if (rnd.nextFloat() < 0.5) return Array.from({ length: rnd.nextInt(4) }, () => junk(depth + 1));
      return Object.fromEntries(Array.from({ length: rnd.nextInt(4) }, (_, i) => [`k${i}`, junk(depth + 1)]));
    };
    const fields = ["n", "steps", "sampler", "seed", "length", "document", "guidance", "maxLength", "model"];
    const paths = ["/generate", "/summarize", "/generate/stream", "/summarize/stream"];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const body: Record<string, unknown> = {};
      for (const f of fields) if (rnd.nextFloat() < 0.5) body[f] = junk(0);
      if (rnd.nextFloat() < 0.3) body.steps = 1 + rnd.nextInt(3);
      if (rnd.nextFloat() < 0.2) body.document = "fuzz " + "y".repeat(rnd.nextInt(100));
      const path = paths[rnd.nextInt(paths.length)];
      const text = rnd.nextFloat() < 0.1 ? JSON.stringify(body).slice(0, rnd.nextInt(40)) : JSON.stringify(body);
      const res = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: text });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      assert.ok(res.status < 500, `${path} ${text.slice(0, 200)} → ${res.status}`);
    }
    assert.ok((statuses.get(422) ?? 0) > 50, JSON.stringify([...statuses]));
    assert.equal((await fetch(`${url}/health/ready`)).status, 200);
    const ok = await postJson(`${url}/generate`, { steps: 2 });
    assert.equal(ok.status, 200);
  });
});

describe("no server path in what the API says", () => {
  test("/models names no folder; readiness without a model does not name MODELS_DIR", async () => {
    const m = await (await fetch(`${url}/models`)).text();
    assert.ok(!m.includes(models), m);
    assert.doesNotMatch(m, /"dir"/);
    const empty = tempDir("ldtext-secret-path-");
    const s3 = await startTestServer(empty);
    try {
      const ready = await fetch(`${s3.url}/health/ready`);
      assert.equal(ready.status, 503);
      const body = await ready.text();
      assert.ok(!body.includes(empty), body);
      assert.match(body, /no model could be loaded/);
    } finally {
      await s3.shutdown();
    }
  });
});

describe("security, limits and deadlines (a second server)", () => {
  let s2: RunningServer;
  before(async () => {
    s2 = await startTestServer(models, {
      API_KEYS: "key-one,key-two",
      ADMIN_KEYS: "admin-key",
      RATE_LIMIT_PER_MIN: "60",
      RATE_LIMIT_BURST: "3",
      CORS_ORIGINS: "https://app.example",
      REQUEST_DEADLINE_MS: "300",
      MAX_STEPS: "10000",
      METRICS_KEYS: "metrics-key",
    });
  });
  after(async () => {
    await s2.shutdown();
  });

  test("bearer API keys on inference, /models and admin routes; metrics keys on /metrics; health and docs stay open", async () => {
    assert.equal((await postJson(`${s2.url}/generate`, { steps: 1 })).status, 401);
    const wrong = await postJson(`${s2.url}/generate`, { steps: 1 }, { authorization: "Bearer nope" });
    assert.equal(wrong.status, 401);
    assert.match((wrong.json.error as { message: string }).message, /invalid API key/);
    assert.equal((await postJson(`${s2.url}/generate`, { steps: 1 }, { authorization: "Bearer key-two" })).status, 200);
    assert.equal((await postJson(`${s2.url}/admin/reload`, {}, { authorization: "Bearer key-two" })).status, 401);
    assert.equal((await postJson(`${s2.url}/admin/reload`, {}, { authorization: "Bearer admin-key" })).status, 200);
    for (const p of ["/health/live", "/health/ready", "/openapi.json", "/docs"]) assert.equal((await fetch(`${s2.url}${p}`)).status, 200, p);
    assert.equal((await fetch(`${s2.url}/models`)).status, 401);
    assert.equal((await fetch(`${s2.url}/models`, { headers: { authorization: "Bearer key-one" } })).status, 200);
    assert.equal((await fetch(`${s2.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${s2.url}/metrics`, { headers: { authorization: "Bearer key-one" } })).status, 401, "API keys are not metrics keys");
    assert.equal((await fetch(`${s2.url}/metrics`, { headers: { authorization: "Bearer metrics-key" } })).status, 200);
    // without API_KEYS / METRICS_KEYS (the first server) both are open
    assert.equal((await fetch(`${url}/models`)).status, 200);
    assert.equal((await fetch(`${url}/metrics`)).status, 200);
  });

  test("rate limit per key: 429 with Retry-After, other keys unaffected", async () => {
    const h = { authorization: "Bearer key-one" };
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await postJson(`${s2.url}/generate`, { steps: 1 }, h);
      codes.push(r.status);
      if (r.status === 429) assert.ok(Number(r.headers.get("retry-after")) >= 1);
    }
    assert.ok(codes.includes(429), codes.join());
    assert.equal(codes[0], 200);
    const text = await (await fetch(`${s2.url}/metrics`, { headers: { authorization: "Bearer metrics-key" } })).text();
    assert.equal(metricValue(text, 'ldtext_failures_total{reason="rejected"}'), codes.filter((c) => c === 429).length);
    // key-two used one token in the previous test; it still has room
    assert.equal((await postJson(`${s2.url}/generate`, { steps: 1 }, { authorization: "Bearer key-two" })).status, 200);
  });

  test("CORS only for configured origins; secure headers everywhere", async () => {
    const ok = await fetch(`${s2.url}/health/live`, { headers: { origin: "https://app.example" } });
    assert.equal(ok.headers.get("access-control-allow-origin"), "https://app.example");
    const other = await fetch(`${s2.url}/health/live`, { headers: { origin: "https://evil.example" } });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
    assert.equal(ok.headers.get("x-content-type-options"), "nosniff");
    // the first server has CORS off (the default)
    const off = await fetch(`${url}/health/live`, { headers: { origin: "https://app.example" } });
    assert.equal(off.headers.get("access-control-allow-origin"), null);
  });

  test("a request past its deadline gets 504", async () => {
    const r = await postJson(`${s2.url}/generate`, { steps: 9000 }, { authorization: "Bearer key-two" });
    assert.equal(r.status, 504, JSON.stringify(r.json));
    assert.equal((r.json.error as { code: string }).code, "deadline_exceeded");
  });
});
