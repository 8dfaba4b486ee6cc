// Connection-level limits and shutdown, with raw sockets over loopback: slow heads and bodies are cut
// off, the connection cap holds, and a shutdown answers (never resets) connections that were
// already accepted — the listener stays open through the grace, every answer says Connection: close.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import type { Socket } from "node:net";
import { postJson, startTestServer, tempDir, writeModel } from "./testing/fixtures.ts";
import type { RunningServer } from "./server.ts";

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

/** Everything the server sends until it closes the socket (or `ms` pass); how it ended. */
function collect(s: Socket, ms: number): Promise<{ text: string; ended: "closed" | "reset" | "timeout"; afterMs: number }> {
  const start = performance.now();
  return new Promise((resolve) => {
    let text = "";
    let done = false;
    const finish = (ended: "closed" | "reset" | "timeout") => {
      if (done) return;
      done = true;
      clearTimeout(t);
      resolve({ text, ended, afterMs: performance.now() - start });
    };
    const t = setTimeout(() => finish("timeout"), ms);
    s.on("data", (d: Buffer) => (text += d.toString("latin1")));
    s.once("error", (e: NodeJS.ErrnoException) => finish(e.code === "ECONNRESET" ? "reset" : "closed"));
    s.once("close", () => finish("closed"));
  });
}

describe("timeouts and the connection cap", () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startTestServer(tempDir(), { HEADERS_TIMEOUT_MS: "400", REQUEST_TIMEOUT_MS: "800", KEEP_ALIVE_TIMEOUT_MS: "300", MAX_CONNECTIONS: "4" });
  });
  after(async () => {
    await srv.shutdown();
  });

  test("a body trickling in is cut off at REQUEST_TIMEOUT_MS with a 408", async () => {
    const s = await open(srv.port);
    s.write("POST /generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{");
    const drip = setInterval(() => s.writable && s.write(" "), 100);
    const r = await collect(s, 6000);
    clearInterval(drip);
    s.destroy();
    assert.notEqual(r.ended, "timeout", "the slow body still held its connection after 6 s");
    assert.match(r.text, /^HTTP\/1\.1 408/);
    assert.ok(r.afterMs < 3000, `cut after ${r.afterMs} ms`);
  });

  test("a head that never completes is cut off at HEADERS_TIMEOUT_MS", async () => {
    const s = await open(srv.port);
    s.write("GET /health/live HTTP/1.1\r\nHo");
    const r = await collect(s, 6000);
    s.destroy();
    assert.notEqual(r.ended, "timeout");
    assert.ok(r.afterMs < 2500, `cut after ${r.afterMs} ms`);
  });

  test("an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS", async () => {
    const s = await open(srv.port);
    s.write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    const r = await collect(s, 6000);
    assert.match(r.text, /^HTTP\/1\.1 200/);
    assert.equal(r.ended, "closed");
    assert.ok(r.afterMs < 2500, `closed after ${r.afterMs} ms`);
  });

  test("connections beyond MAX_CONNECTIONS are closed at once; below it they are served", async () => {
    const held = await Promise.all([0, 1, 2, 3].map(() => open(srv.port)));
    await new Promise((r) => setTimeout(r, 50));
    const extra = await open(srv.port); // the kernel accepts; the server drops it
    extra.write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    const r = await collect(extra, 2000);
    assert.notEqual(r.ended, "timeout");
    assert.doesNotMatch(r.text, /200/);
    for (const s of held) s.destroy();
    await new Promise((r2) => setTimeout(r2, 50));
    assert.equal((await fetch(`${srv.url}/health/live`)).status, 200);
  });
});

describe("the request timeout covers receiving the request, not the answer", () => {
  test("a request that takes longer than REQUEST_TIMEOUT_MS to answer still gets its 200", async () => {
    const models = tempDir("ldtext-models-");
    await writeModel(models, "generate");
    const srv = await startTestServer(models, { HEADERS_TIMEOUT_MS: "300", REQUEST_TIMEOUT_MS: "500", MAX_STEPS: "10000" });
    try {
      // longer requests until one really takes longer than the timeout on this machine
      let steps = 200;
      let r = await postJson(`${srv.url}/generate`, { steps, seed: 1 });
      const ms = () => (r.json.timings as { totalMs: number } | undefined)?.totalMs ?? 0;
      while (r.status === 200 && ms() < 700 && steps < 10_000) {
        steps = Math.min(10_000, steps * 4);
        r = await postJson(`${srv.url}/generate`, { steps, seed: 1 });
      }
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.ok(ms() > 500, `took ${ms()} ms`);
    } finally {
      await srv.shutdown();
    }
  });
});

describe("shutdown", () => {
  test("connections accepted before or during the drain get answers, then the listener closes", async () => {
    const srv = await startTestServer(tempDir(), { SHUTDOWN_GRACE_MS: "600", KEEP_ALIVE_TIMEOUT_MS: "10000" });
    // A client that connected just before SIGTERM and sends its request a moment after it.
    const early = await open(srv.port);
    // A keep-alive connection that already served a request.
    const kept = await open(srv.port);
    kept.write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    await new Promise((r) => kept.once("data", r));
    const stopped = srv.shutdown("test");
    await new Promise((r) => setTimeout(r, 100));
    const earlyDone = collect(early, 5000);
    early.write(`POST /generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
    const e = await earlyDone;
    assert.match(e.text, /^HTTP\/1\.1 503/, `early connection: ${e.ended} ${JSON.stringify(e.text)}`);
    assert.match(e.text, /"code":"unavailable"/);
    assert.match(e.text, /\r\nconnection: close\r\n/i);
    assert.equal(e.ended, "closed");
    // New connections are still accepted during the grace: readiness says 503.
    const ready = await fetch(`${srv.url}/health/ready`);
    assert.equal(ready.status, 503);
    assert.equal(ready.headers.get("connection"), "close");
    const keptDone = collect(kept, 5000);
    kept.write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    const k = await keptDone;
    assert.match(k.text, /^HTTP\/1\.1 200/);
    assert.equal(k.ended, "closed");
    await stopped;
    await assert.rejects(open(srv.port), /ECONNREFUSED/);
  });
});
