// The soak's HTTP clients, all aimed at 127.0.0.1: valid requests (unary or SSE) with the outcome
// classified, plus the hostile ones — fuzzed bodies and paths, raw malformed messages, bodies
// abandoned half-way, and clients that trickle their body.
import { connect } from "node:net";
import { SeededRandom } from "@ldtext/core";
import type { Outcome, RequestRecord } from "./stats.ts";

export interface Valid {
  route: "generate" | "summarize";
  stream: boolean;
  body: Record<string, unknown>;
}

/** A realistic request: n 1–2, 10 or 20 steps, any sampler; documents from the XSum sample. */
export function validRequest(rnd: SeededRandom, documents: string[], routes: ("generate" | "summarize")[]): Valid {
  const route = routes[rnd.nextInt(routes.length)];
  const steps = rnd.nextFloat() < 0.5 ? 10 : 20;
  const sampler = ["ddim", "sde", "ode"][rnd.nextInt(3)];
  const stream = rnd.nextFloat() < 0.2;
  if (route === "generate") return { route, stream, body: { n: 1 + rnd.nextInt(2), steps, sampler } };
  return { route, stream, body: { document: documents[rnd.nextInt(documents.length)], n: 1, steps, sampler, guidance: rnd.nextFloat() < 0.5 ? 0 : 1.5 } };
}

function errorCode(e: unknown): string {
  if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError")) return e.name === "TimeoutError" ? "TIMEOUT" : "ABORT";
  const cause = (e as { cause?: { code?: string } }).cause;
  return cause?.code ?? (e as { code?: string }).code ?? (e instanceof Error ? e.message.slice(0, 60) : "unknown");
}

/**
 * Sends one valid request; `abortAfterMs` hangs up on purpose (a disconnect). The outcome of an SSE
 * stream is its status plus, when the stream ended in an `error` event or without `done`, that error.
 */
export async function sendValid(base: string, v: Valid, o: { phase: RequestRecord["phase"]; timeoutMs: number; abortAfterMs?: number; headers?: Record<string, string> }): Promise<RequestRecord> {
  const startMs = performance.now();
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new DOMException("client timeout", "TimeoutError")), o.timeoutMs);
  const hangUp = o.abortAfterMs === undefined ? undefined : setTimeout(() => ac.abort(new DOMException("disconnect test", "AbortError")), o.abortAfterMs);
  let outcome: Outcome;
  try {
    const res = await fetch(`${base}/${v.route}${v.stream ? "/stream" : ""}`, { method: "POST", headers: { "content-type": "application/json", ...o.headers }, body: JSON.stringify(v.body), signal: ac.signal });
    const text = await res.text();
    const ra = res.headers.get("retry-after");
    outcome = { kind: "status", status: res.status, retryAfterS: ra === null ? undefined : Number(ra) };
    if (v.stream && res.status === 200) {
      const err = /event: error\ndata: (.*)/.exec(text);
      if (err) outcome.streamError = String((JSON.parse(err[1]) as { error?: { code?: string } }).error?.code ?? "error");
      else if (!text.includes("event: done")) outcome.streamError = "no done event";
    }
  } catch (e) {
    const code = errorCode(ac.signal.reason ?? e);
    outcome = code === "ABORT" ? { kind: "aborted" } : { kind: "error", code: code === "ABORT" ? "ABORT" : code };
  } finally {
    clearTimeout(timer);
    clearTimeout(hangUp);
  }
  return { phase: o.phase, route: v.route, startMs, endMs: performance.now(), outcome };
}

/** Statuses of hostile requests (or "closed" when the server closed without answering). */
export type HostileResult = { name: string; status: number | "closed" | "reset" | "timeout" };

function rawExchange(port: number, bytes: Buffer | string, waitMs: number, name: string): Promise<HostileResult> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    let text = "";
    let done = false;
    const finish = (status: HostileResult["status"]) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      s.destroy();
      resolve({ name, status });
    };
    const t = setTimeout(() => finish(parse() ?? "timeout"), waitMs);
    const parse = () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      return m ? Number(m[1]) : null;
    };
    s.on("connect", () => s.write(bytes));
    s.on("data", (d: Buffer) => {
      text += d.toString("latin1");
      const st = parse();
      if (st !== null && text.includes("\r\n\r\n")) finish(st);
    });
    s.on("error", (e: NodeJS.ErrnoException) => finish(parse() ?? (e.code === "ECONNRESET" ? "reset" : "closed")));
    s.on("close", () => finish(parse() ?? "closed"));
  });
}

const OBJECT_NAMES = ["constructor", "__proto__", "toString", "valueOf", "hasOwnProperty"];

/** One hostile request, chosen by `rnd`: fuzzed JSON, odd paths, bad encodings, malformed framing. */
export async function hostile(base: string, port: number, rnd: SeededRandom, maxBodyBytes: number): Promise<HostileResult> {
  const atoms = (): unknown => [null, true, -1, 0, 1e308, 2 ** 60, 0.5, "", "x".repeat(rnd.nextInt(40)), "\u0000\ud800", [], {}][rnd.nextInt(12)];
  const junk = (depth: number): unknown => {
    if (depth > 3 || rnd.nextFloat() < 0.4) return atoms();
    if (rnd.nextFloat() < 0.5) return Array.from({ length: rnd.nextInt(4) }, () => junk(depth + 1));
    return Object.fromEntries(Array.from({ length: rnd.nextInt(4) }, (_, i) => [["n", "steps", "sampler", "seed", "document", "guidance", "length", "model"][(i + rnd.nextInt(8)) % 8], junk(depth + 1)]));
  };
  const paths = ["/generate", "/summarize", "/generate/stream", "/summarize/stream"];
  const kind = rnd.nextInt(10);
  const post = async (path: string, body: BodyInit, type = "application/json"): Promise<HostileResult> => {
    try {
      const res = await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": type }, body, signal: AbortSignal.timeout(30_000) });
      await res.arrayBuffer();
      return { name: `fuzz${kind}`, status: res.status };
    } catch (e) {
      return { name: `fuzz${kind}`, status: errorCode(e) === "ECONNRESET" ? "reset" : "closed" };
    }
  };
  switch (kind) {
    case 0:
    case 1:
    case 2: {
      const body = JSON.stringify(junk(0));
      return post(paths[rnd.nextInt(4)], rnd.nextFloat() < 0.2 ? body.slice(0, rnd.nextInt(body.length + 1)) : body);
    }
    case 3:
      return post("/summarize", Buffer.concat([Buffer.from('{"document":"caf'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('","steps":2}')]));
    case 4:
      return post("/generate", "n=1&steps=2", "application/x-www-form-urlencoded");
    case 5: {
      const name = [...OBJECT_NAMES, "..%2Fpackage.json", "%00", "x".repeat(300)][rnd.nextInt(OBJECT_NAMES.length + 3)];
      try {
        const res = await fetch(`${base}/docs/${name}`, { signal: AbortSignal.timeout(30_000) });
        await res.arrayBuffer();
        return { name: `docs/${name.slice(0, 20)}`, status: res.status };
      } catch {
        return { name: "docs", status: "closed" };
      }
    }
    case 6:
      return post("/summarize", JSON.stringify({ document: "a".repeat(maxBodyBytes + 10) }));
    case 7: {
      // malformed framing, answered by Node's parser (400) or closed
      const raws = [
        "POST /generate HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST /generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        "POST /generate HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        "GET /health/live HTTP/1.1\r\nNoColonHeader\r\n\r\n",
        `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
        "BREW /generate HTTP/1.1\r\nHost: x\r\n\r\n",
        "POST /generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n",
      ];
      const i = rnd.nextInt(raws.length);
      return rawExchange(port, raws[i], 5000, `raw${i}`);
    }
    case 8: {
      // a body abandoned half-way (chunked or with Content-Length): nobody is left to answer
      const chunked = rnd.nextFloat() < 0.5;
      const head = chunked
        ? "POST /generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n{\"n\":1"
        : "POST /summarize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"document\":\"abc";
      return rawExchange(port, head, 50 + rnd.nextInt(200), chunked ? "abandon-chunked" : "abandon-length").then((r) => ({ ...r, status: r.status === "timeout" ? "closed" : r.status }));
    }
    default:
      return post(paths[rnd.nextInt(4)], JSON.stringify({ n: 1, steps: rnd.nextInt(3) + 1, seed: -1 }));
  }
}

/**
 * A client that sends its head, then one body byte every `everyMs`: the server must cut it off (408
 * or close) within its request timeout. Resolves with how long the connection stayed open.
 */
export function slowBody(port: number, everyMs: number, giveUpMs: number): Promise<{ heldMs: number; status: number | "closed" | "held" }> {
  return new Promise((resolve) => {
    const start = performance.now();
    const s = connect(port, "127.0.0.1");
    let text = "";
    let done = false;
    const finish = (status: number | "closed" | "held") => {
      if (done) return;
      done = true;
      clearInterval(drip);
      clearTimeout(t);
      s.destroy();
      resolve({ heldMs: performance.now() - start, status });
    };
    const parse = () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      return m ? Number(m[1]) : null;
    };
    const drip = setInterval(() => {
      if (s.writable) s.write(" ");
    }, everyMs);
    const t = setTimeout(() => finish("held"), giveUpMs);
    s.on("connect", () => s.write('POST /generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"n":1'));
    s.on("data", (d: Buffer) => (text += d.toString("latin1")));
    s.on("error", () => finish(parse() ?? "closed"));
    s.on("close", () => finish(parse() ?? "closed"));
  });
}
