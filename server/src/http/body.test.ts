// A body the client abandons half-way is the client's doing: 499, a warn/info log line, status="499"
// in the metrics — never a 500 or an error-level "unhandled error" line. Raw sockets over loopback.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { captureLogger, postJson, startTestServer, tempDir } from "../testing/fixtures.ts";
import type { RunningServer } from "../server.ts";

let srv: RunningServer;
let lines: Record<string, unknown>[];

before(async () => {
  const cap = captureLogger("info");
  lines = cap.lines;
  srv = await startTestServer(tempDir(), { MAX_BODY_BYTES: "4096" }, { logger: cap.logger }); // no model: bodies are read before one is picked
});
after(async () => {
  await srv.shutdown();
});

/** Sends `head` and `partial` of a POST, then destroys the socket without finishing the body. */
async function abandon(head: string, partial: string): Promise<void> {
  const sock = connect(srv.port, "127.0.0.1");
  sock.on("error", () => {});
  await new Promise<void>((r) => sock.once("connect", () => r()));
  sock.write(head + partial);
  await new Promise((r) => setTimeout(r, 100)); // let the server start reading the body
  sock.destroy();
}

async function requestLine(id: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 200; i++) {
    const l = lines.find((x) => x.requestId === id && typeof x.status === "number");
    if (l) return l;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no request log line for ${id}`);
}

describe("request bodies", () => {
  test("a chunked body abandoned mid-way is a 499, logged below error level", async () => {
    await abandon("POST /generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nX-Request-Id: abandon-chunked\r\n\r\n", '6\r\n{"n":1');
    const line = await requestLine("abandon-chunked");
    assert.equal(line.status, 499);
  });

  test("a Content-Length body cut short is a 499 too (not 'Malformed JSON')", async () => {
    await abandon("POST /generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\nX-Request-Id: abandon-length\r\n\r\n", '{"n":1,"steps":');
    const line = await requestLine("abandon-length");
    assert.equal(line.status, 499);
  });

  test("no error-level log line and no status 500 in the metrics after those", async () => {
    const errors = lines.filter((l) => Number(l.level) >= 50 && l.msg !== "no model loaded; readiness stays 503");
    assert.deepEqual(errors, []);
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    assert.doesNotMatch(text, /ldtext_requests_total\{[^}]*status="500"/);
    assert.match(text, /ldtext_requests_total\{route="\/generate",status="499"\} 2/);
  });

  test("complete bodies still reach validation; over the limit is 413 with or without Content-Length", async () => {
    const r = await postJson(`${srv.url}/generate`, { n: 0 });
    assert.equal(r.status, 422);
    const big = { document: "a".repeat(5000) };
    assert.equal((await postJson(`${srv.url}/summarize`, big)).status, 413);
    const chunked = await fetch(`${srv.url}/summarize`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(JSON.stringify(big)));
          c.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    assert.equal(chunked.status, 413);
  });
});
