// Contract: the SDK against live servers on loopback (real ONNX Runtime, random-weight tiny artifacts
// from @ldtext/export through the server's own fixtures): every operation and every error path.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { RunningServer } from "@ldtext/server";
import { metricValue, modelsFolder, startTestServer, tempDir, writeModel } from "@ldtext/server/testing";
import { ApiError, DiffusionTextClient, TimeoutError } from "./src/index.ts";
import type { GenerateResponse, StepEvent, StreamEvent, SummarizeResponse } from "./src/index.ts";

const DOC = "The river flooded the old mill in spring. Villagers moved the grain to the church and waited for the water to fall.";

/** A fetch that counts attempts (and can rewrite requests), to see what the retry loop really sent. */
function countingFetch(rewrite?: (r: Request) => Request) {
  const f = Object.assign((input: Request) => {
    f.calls++;
    return fetch(rewrite ? rewrite(input) : input);
  }, { calls: 0 });
  return f;
}

async function collect<R>(it: AsyncIterable<StreamEvent<R>>): Promise<{ steps: StepEvent[]; done: R | undefined }> {
  const steps: StepEvent[] = [];
  let done: R | undefined;
  for await (const e of it) {
    if (e.type === "step") steps.push(e);
    else done = e.result;
  }
  return { steps, done };
}

/** Polls `cond` until it holds (true) or the time is up (false). */
async function until(cond: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return cond();
}

async function rejectsWith(p: Promise<unknown>, check: (e: ApiError) => void): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ApiError, `expected ApiError, got ${String(e)}`);
    check(e);
    return true;
  });
}

let models: string;
let generateOnly: string;
before(async () => {
  models = await modelsFolder();
  generateOnly = tempDir("ldtext-models-gen-");
  await writeModel(generateOnly, "generate");
});

describe("operations", () => {
  let srv: RunningServer;
  let client: DiffusionTextClient;
  before(async () => {
    srv = await startTestServer(models, { STREAM_EVERY: "2" });
    client = new DiffusionTextClient({ baseUrl: srv.url });
  });
  after(() => srv.shutdown());

  test("health and models", async () => {
    const h = await client.health();
    assert.equal(h.ready, true);
    const m = await client.models();
    assert.deepEqual(m.models.map((x) => [x.id, x.task]).sort(), [["tiny-generate", "generate"], ["tiny-summarize", "summarize"]]);
    assert.equal(m.models[0].executionProvider, "cpu");
  });

  test("generate: n texts, the seed echoed, the request id honoured, same seed → same texts", async () => {
    const a = await client.generate({ n: 3, steps: 6, seed: 7, sampler: "ddim" }, { requestId: "contract-gen-1" });
    assert.equal(a.texts.length, 3);
    assert.equal(a.seed, 7);
    assert.equal(a.steps, 6);
    assert.equal(a.id, "contract-gen-1");
    assert.deepEqual(a.model, { id: "tiny-generate", version: "1" });
    assert.ok(a.timings.totalMs >= a.timings.inferenceMs && a.timings.inferenceMs > 0);
    const b = await client.generate({ n: 3, steps: 6, seed: 7, sampler: "ddim" });
    assert.deepEqual(b.texts, a.texts);
    const c = await client.generate({ n: 1, steps: 6, sampler: "sde", length: 8 });
    assert.equal(c.sampler, "sde");
    assert.equal(c.length, 8);
    assert.equal(typeof c.seed, "number");
  });

  test("summarize: document report and guidance echoed", async () => {
    const s = await client.summarize({ document: DOC, steps: 4, seed: 3, guidance: 1.5 });
    assert.equal(s.texts.length, 1);
    assert.equal(s.guidance, 1.5);
    assert.equal(s.model.id, "tiny-summarize");
    assert.ok(s.document.tokens > 0);
    assert.equal(typeof s.document.truncated, "boolean");
    assert.ok(s.document.policy.length > 0);
  });

  test("generateStream: step events every k steps, then done with the same texts as the unary route", async () => {
    const { steps, done } = await collect<GenerateResponse>(client.generateStream({ n: 2, steps: 8, seed: 11 }));
    assert.ok(steps.length >= 3, `expected step events, got ${steps.length}`);
    assert.deepEqual(steps.map((s) => s.step), [...steps.map((s) => s.step)].sort((x, y) => x - y));
    assert.ok(steps.every((s) => s.steps === 8 && s.texts.length === 2));
    assert.ok(done);
    const unary = await client.generate({ n: 2, steps: 8, seed: 11 });
    assert.deepEqual(done.texts, unary.texts);
  });

  test("summarizeStream: steps then done", async () => {
    const { steps, done } = await collect<SummarizeResponse>(client.summarizeStream({ document: DOC, steps: 6, seed: 5, guidance: 2 }));
    assert.ok(steps.length >= 2);
    assert.ok(done);
    assert.equal(done.guidance, 2);
    assert.equal(done.texts.length, 1);
  });

  test("422: a bad field is named, as ApiError with status, code, message, fields and request id", async () => {
    await rejectsWith(client.generate({ steps: 0 }, { requestId: "bad-steps" }), (e) => {
      assert.equal(e.status, 422);
      assert.equal(e.code, "validation_error");
      assert.match(e.message, /steps/);
      assert.deepEqual(e.fields.map((f) => f.path), ["steps"]);
      assert.equal(e.requestId, "bad-steps");
    });
    await rejectsWith(client.summarize({ document: "" }), (e) => {
      assert.equal(e.status, 422);
      assert.match(e.message, /document/);
    });
    // Unknown fields are refused (strict schemas); the cast is what a JavaScript caller could send.
    await rejectsWith(client.generate({ steps: 2, temperature: 1 } as never), (e) => assert.equal(e.status, 422));
    // A length the model cannot produce: refused by inference, not by the schema.
    await rejectsWith(client.generate({ steps: 2, length: 10_000 }), (e) => {
      assert.equal(e.status, 422);
      assert.match(e.message, /length/);
    });
  });

  test("422 on a stream is thrown before any event", async () => {
    await rejectsWith(collect(client.summarizeStream({ document: DOC, steps: 1000 })), (e) => {
      assert.equal(e.status, 422);
      assert.match(e.message, /steps/);
    });
  });

  test("400 (body not JSON) and 404 (unknown model) carry the server's message", async () => {
    const broken = new DiffusionTextClient({ baseUrl: srv.url, fetch: countingFetch((r) => new Request(r, { body: "{not json", method: "POST", headers: r.headers })) });
    await rejectsWith(broken.generate({ steps: 2 }), (e) => {
      assert.equal(e.status, 400);
      assert.ok(e.message.length > 0);
    });
    await rejectsWith(client.generate({ steps: 2, model: "no-such-model" }), (e) => {
      assert.equal(e.status, 404);
      assert.match(e.message, /no-such-model/);
    });
  });

  test("timeout: TimeoutError at the client's deadline, for unary calls and streams", async () => {
    const t0 = Date.now();
    await assert.rejects(client.generate({ n: 16, steps: 200 }, { timeoutMs: 40 }), (e: unknown) => e instanceof TimeoutError && e.timeoutMs === 40);
    assert.ok(Date.now() - t0 < 2000);
    await assert.rejects(collect(client.generateStream({ n: 16, steps: 200 }, { timeoutMs: 60 })), TimeoutError);
  });

  test("abort: the caller's signal rejects with its reason; an aborted signal sends nothing", async () => {
    const ac = new AbortController();
    const p = client.generate({ n: 16, steps: 200 }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    await assert.rejects(p, (e: unknown) => e instanceof Error && e.name === "AbortError");
    const f = countingFetch();
    const c2 = new DiffusionTextClient({ baseUrl: srv.url, fetch: f });
    await assert.rejects(c2.generate({ steps: 2 }, { signal: AbortSignal.abort(new Error("user gave up")) }), /user gave up/);
    assert.equal(f.calls, 0);
  });

  test("leaving a stream early disconnects, and the server cancels the request", async () => {
    const metrics = async () => (await fetch(`${srv.url}/metrics`)).text();
    const metric = async () => metricValue(await metrics(), 'ldtext_failures_total{reason="cancelled"}') || 0;
    const runningRows = (text: string) => text.split("\n").filter((l) => l.startsWith("ldtext_running_rows{")).reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
    // Earlier tests' cancelled requests leave at their next tick: wait until no row runs (generous
    // bounds: the machine may be busy; each loop ends as soon as its condition holds).
    assert.ok(await until(async () => runningRows(await metrics()) === 0, 10_000), "earlier requests left");
    const before = await metric();
    for await (const e of client.generateStream({ n: 4, steps: 200 })) {
      assert.equal(e.type, "step");
      break;
    }
    await until(async () => (await metric()) > before, 10_000);

    assert.equal(await metric(), before + 1);
  });
});

describe("body limit", () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startTestServer(generateOnly);
  });
  // Shutdown after a 413 on a body still being uploaded used to never settle (an unref'd force-close
  // timer); it must now finish on its own.
  after(() => srv.shutdown());

  test("413: a document over the body limit is refused with the limit in the message", async () => {
    const client = new DiffusionTextClient({ baseUrl: srv.url });
    await rejectsWith(client.summarize({ document: "x".repeat(3 * 1024 * 1024), steps: 2 }), (e) => {
      assert.equal(e.status, 413);
      assert.equal(e.code, "payload_too_large");
      assert.match(e.message, /\d+ bytes/);
    });
  });
});

describe("API keys and rate limiting", () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startTestServer(generateOnly, { API_KEYS: "key-a,key-b", RATE_LIMIT_PER_MIN: "60", RATE_LIMIT_BURST: "1" });
  });
  after(() => srv.shutdown());

  test("401 without a key or with a wrong one; the right key passes; health needs none", async () => {
    await rejectsWith(new DiffusionTextClient({ baseUrl: srv.url }).generate({ steps: 2 }), (e) => assert.equal(e.status, 401));
    await rejectsWith(new DiffusionTextClient({ baseUrl: srv.url, apiKey: "key-z" }).generate({ steps: 2 }), (e) => {
      assert.equal(e.status, 401);
      assert.ok(e.message.length > 0);
    });
    assert.equal((await new DiffusionTextClient({ baseUrl: srv.url }).health()).ready, true);
    const r = await new DiffusionTextClient({ baseUrl: srv.url, apiKey: "key-a" }).generate({ steps: 2, seed: 1 });
    assert.equal(r.texts.length, 1);
  });

  test("429 with Retry-After: no retries → ApiError; with retries → waits Retry-After and succeeds", async () => {
    // key-a spent its one-token burst above; key-b starts full.
    const f = countingFetch();
    const b = new DiffusionTextClient({ baseUrl: srv.url, apiKey: "key-b", fetch: f });
    await b.generate({ steps: 2 });
    await rejectsWith(b.generate({ steps: 2 }, { retries: 0 }), (e) => {
      assert.equal(e.status, 429);
      assert.equal(e.code, "rate_limited");
      assert.equal(e.retryAfterMs, 1000);
    });
    const callsBefore = f.calls;
    const t0 = Date.now();
    const ok = await b.generate({ steps: 2 }, { retries: 3 });
    assert.equal(ok.texts.length, 1);
    assert.ok(Date.now() - t0 >= 900, "retried before Retry-After");
    assert.ok(f.calls - callsBefore >= 2);
  });

  test("a Retry-After longer than the client will wait ends the retries at once", async () => {
    const f = countingFetch();
    const a = new DiffusionTextClient({ baseUrl: srv.url, apiKey: "key-a", fetch: f, maxRetryDelayMs: 100 });
    await a.generate({ steps: 2 }).catch(() => {});
    const t0 = Date.now();
    await rejectsWith(a.generate({ steps: 2 }, { retries: 5 }), (e) => assert.equal(e.status, 429));
    assert.ok(Date.now() - t0 < 500);
    assert.equal(f.calls, 2);
  });
});

describe("queue full", () => {
  let srv: RunningServer;
  const background = new AbortController();
  before(async () => {
    srv = await startTestServer(generateOnly, { QUEUE_SIZE: "1", ROW_BUDGET: "1", MAX_STEPS: "10000" });
  });
  after(async () => {
    background.abort();
    await srv.shutdown();
  });

  test("429 queue_full is retried `retries` times after Retry-After, then surfaces", async () => {
    // Three background clients keep one request on the only row and one in the only queue slot, the
    // third re-sending every 10 ms so the slot refills at once when the queued one starts: the
    // server's Retry-After (its estimate of the time the queued work needs, a few seconds) is honest,
    // and the retry still meets a full queue. A retry that lands in the few milliseconds before the
    // slot refills gets served instead; that is the server being right, not the client being wrong,
    // so an attempt that succeeds is tried again (at most 5 times) rather than failing the test.
    const sum = (text: string, name: string) => text.split("\n").filter((l) => l.startsWith(`${name}{`)).reduce((a, l) => a + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
    const keepBusy = async () => {
      while (!background.signal.aborted) {
        const r = await fetch(`${srv.url}/generate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ steps: 200 }), signal: background.signal }).catch(() => null);
        if (r?.status === 429) await new Promise((res) => setTimeout(res, 10));
        await r?.arrayBuffer().catch(() => {});
      }
    };
    for (let i = 0; i < 3; i++) void keepBusy();
    const metrics = async () => (await fetch(`${srv.url}/metrics`)).text();
    const full = () => until(async () => {
      const m = await metrics();
      return sum(m, "ldtext_running_rows") === 1 && sum(m, "ldtext_queue_size") === 1;
    }, 10_000);

    /** Runs `call` until it rejects (returned) or 5 attempts were served; each attempt starts on a full queue. */
    const firstRejection = async (call: () => Promise<unknown>): Promise<unknown> => {
      for (let attempt = 0; attempt < 5; attempt++) {
        assert.ok(await full(), "one request running and one waiting");
        try {
          await call();
        } catch (e) {
          return e;
        }
      }
      assert.fail("5 attempts on a full queue were all served: the client never surfaced queue_full");
    };

    const f = countingFetch();
    const c = new DiffusionTextClient({ baseUrl: srv.url, fetch: f, maxRetryDelayMs: 30_000 });
    let callsBefore = 0;
    const e = await firstRejection(() => {
      callsBefore = f.calls;
      return c.generate({ steps: 2 }, { retries: 1 });
    });
    assert.ok(e instanceof ApiError, `expected ApiError, got ${String(e)}`);
    assert.equal(e.status, 429);
    assert.equal(e.code, "queue_full");
    assert.ok((e.retryAfterMs ?? 0) >= 1000);
    assert.equal(f.calls - callsBefore, 2, "one request and one retry");

    const s = await firstRejection(() => collect(c.generateStream({ steps: 2 }, { retries: 0 })));
    assert.ok(s instanceof ApiError, `expected ApiError, got ${String(s)}`);
    assert.equal(s.code, "queue_full");
  });
});

describe("not ready, deadline", () => {
  let empty: RunningServer;
  let tight: RunningServer;
  before(async () => {
    empty = await startTestServer(tempDir("ldtext-models-empty-"));
    tight = await startTestServer(generateOnly, { REQUEST_DEADLINE_MS: "30", STREAM_EVERY: "1" });
  });
  after(async () => {
    await empty.shutdown();
    await tight.shutdown();
  });

  test("503 while no model is loaded: health answers ready=false, inference throws without waiting past the deadline", async () => {
    const f = countingFetch();
    const c = new DiffusionTextClient({ baseUrl: empty.url, fetch: f });
    const h = await c.health();
    assert.equal(h.ready, false);
    await rejectsWith(c.generate({ steps: 2 }, { retries: 0 }), (e) => {
      assert.equal(e.status, 503);
      assert.equal(e.retryAfterMs, 5000);
    });
    const t0 = Date.now();
    await rejectsWith(c.generate({ steps: 2 }, { retries: 3, timeoutMs: 1000 }), (e) => assert.equal(e.status, 503));
    assert.ok(Date.now() - t0 < 900, "waited for a retry that could not finish before the deadline");
  });

  test("504 past the server's deadline: unary ApiError, and an `error` event inside a stream", async () => {
    await rejectsWith(new DiffusionTextClient({ baseUrl: tight.url }).generate({ n: 16, steps: 200 }), (e) => {
      assert.equal(e.status, 504);
      assert.equal(e.code, "deadline_exceeded");
    });
    await rejectsWith(collect(new DiffusionTextClient({ baseUrl: tight.url }).generateStream({ n: 16, steps: 200 })), (e) => {
      assert.equal(e.status, 504);
      assert.equal(e.code, "deadline_exceeded");
    });
  });
});
