import { test } from "node:test";
import assert from "node:assert/strict";
import { readSse } from "./sse.ts";

/** A body that delivers `text` in chunks of `size` bytes (events split anywhere, even inside UTF-8). */
function body(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

const wire = 'event: step\ndata: {"step":5,"texts":["café"]}\n\n: keep-alive\n\nevent: done\r\ndata: {"a":\r\ndata: 1}\r\n\r\ndata: plain\n\n';

test("events survive any chunking: named events, comments, CRLF, multi-line data, UTF-8 split across chunks", async () => {
  for (const size of [1, 2, 3, 7, 1000]) {
    const got = [];
    for await (const m of readSse(body(wire, size))) got.push(m);
    assert.deepEqual(
      got.map((m) => [m.event, m.data]),
      [
        ["step", '{"step":5,"texts":["café"]}'],
        ["done", '{"a":\n1}'],
        ["message", "plain"],
      ],
      `chunk size ${size}`,
    );
  }
});

test("a consumer that stops early cancels the body (the server sees the disconnect)", async () => {
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode("event: step\ndata: 1\n\n"));
    },
    cancel() {
      cancelled = true;
    },
  });
  for await (const m of readSse(stream)) {
    assert.equal(m.data, "1");
    break;
  }
  assert.equal(cancelled, true);
});
