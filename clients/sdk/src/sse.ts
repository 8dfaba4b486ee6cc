// Server-Sent Events from a fetch body, as an async iterator (eventsource-parser does the framing:
// multi-line data, comments, CR/LF variants, chunks split anywhere).
import { createParser } from "eventsource-parser";
import type { EventSourceMessage } from "eventsource-parser";

export interface SseMessage {
  /** `message` when the server named none (as browsers' EventSource does). */
  event: string;
  data: string;
  id?: string;
}

export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const queue: SseMessage[] = [];
  const parser = createParser({ onEvent: (m: EventSourceMessage) => queue.push({ event: m.event ?? "message", data: m.data, id: m.id }) });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    while (true) {
      const { done, value } = await reader.read();
      parser.feed(done ? decoder.decode() : decoder.decode(value, { stream: true }));
      while (queue.length > 0) yield queue.shift() as SseMessage;
      if (done) return;
    }
  } finally {
    // A consumer that stops early closes the connection, so the server frees the request's rows.
    await reader.cancel().catch(() => {});
  }
}
