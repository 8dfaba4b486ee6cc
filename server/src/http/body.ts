// Reads a request body up front, bounded, and classifies a read that fails. Replaces hono's
// bodyLimit, whose chunked path let a stream error (the client hung up mid-body, or Node cut a slow
// body at REQUEST_TIMEOUT_MS) escape as a plain Error — a 500, an error-level log line and
// status="500" in the metrics for what is the client's doing.
import type { Context, MiddlewareHandler } from "hono";

/**
 * The body could not be read to its end: the connection closed or broke (client gone, message
 * framing broken, or the server's request timeout). Answered 499 (nginx's "client closed request"):
 * nobody is left to read it, but logs and metrics then count it as the client's, not the server's.
 */
export class BodyReadError extends Error {
  override name = "BodyReadError";
  constructor(readonly detail: string) {
    super("the request body was not received completely (the connection closed or broke)");
  }
}

export interface ReadBodyOptions {
  maxBytes: number;
  /** The answer when the body is (or declares to be) larger than `maxBytes`. */
  onTooLarge(c: Context): Response | Promise<Response>;
}

/**
 * Buffers the body (at most `maxBytes`) and hands the rest of the chain a Request holding the bytes,
 * so the JSON validator never meets a failing stream. A declared Content-Length above the limit is
 * refused before reading; a chunked body is counted as it arrives.
 */
export function readBody(opts: ReadBodyOptions): MiddlewareHandler {
  return async (c, next) => {
    const raw = c.req.raw;
    if (!raw.body) return next();
    const declared = raw.headers.get("content-length");
    if (declared !== null && !raw.headers.has("transfer-encoding") && Number(declared) > opts.maxBytes) return opts.onTooLarge(c);
    const reader = raw.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        // Not cancelled: cancelling destroys the socket, and the client would never see the 413.
        if (size > opts.maxBytes) return opts.onTooLarge(c);
        chunks.push(value);
      }
    } catch (e) {
      throw new BodyReadError(e instanceof Error ? e.message : String(e));
    }
    const body = new Uint8Array(size);
    let off = 0;
    for (const ch of chunks) {
      body.set(ch, off);
      off += ch.byteLength;
    }
    c.req.raw = new Request(raw, { body });
    return next();
  };
}
