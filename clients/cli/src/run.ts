// The CLI as a function (argv + streams in, exit code out) so tests run it in-process against a live
// server; main.ts only wires it to the process.
import { readFile } from "node:fs/promises";
import { ApiError, DiffusionTextClient, TimeoutError } from "@ldtext/sdk";
import type { GenerateResponse, StreamEvent, SummarizeResponse } from "@ldtext/sdk";
import { USAGE, UsageError, parseCommand } from "./args.ts";
import type { Command } from "./args.ts";
import { LiveView, displayLine } from "./live-view.ts";

export const EXIT = { ok: 0, unexpected: 1, usage: 2, refused: 3, unavailable: 4, timeout: 5, interrupted: 130 } as const;

export interface CliIO {
  stdout: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(s: string): unknown };
  stdin: AsyncIterable<string | Uint8Array> & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Aborted on Ctrl-C. */
  signal?: AbortSignal;
  fetch?: (input: Request) => Promise<Response>;
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  let cmd: Command;
  try {
    const parsed = parseCommand(argv, io.env);
    if ("help" in parsed) {
      io.stdout.write(USAGE + "\n");
      return EXIT.ok;
    }
    cmd = parsed;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`diffusion-text: ${e.message}\n(see diffusion-text --help)\n`);
      return EXIT.usage;
    }
    throw e;
  }
  const client = new DiffusionTextClient({ baseUrl: cmd.url, apiKey: cmd.apiKey, timeoutMs: cmd.timeoutMs, retries: cmd.retries, fetch: io.fetch });
  const o = { signal: io.signal };
  try {
    switch (cmd.name) {
      case "health": {
        const h = await client.health(o);
        io.stdout.write(cmd.json ? JSON.stringify(h) + "\n" : `${h.ready ? "ready" : `not ready${h.reason ? ` (${h.reason})` : ""}`}: ${h.models.map((m) => `${m.id}@${m.version} [${m.executionProvider}]`).join(", ") || "no models"}\n`);
        return h.ready ? EXIT.ok : EXIT.unavailable;
      }
      case "models": {
        const m = await client.models(o);
        if (cmd.json) io.stdout.write(JSON.stringify(m) + "\n");
        else for (const x of m.models) io.stdout.write(`${x.id}@${x.version}\t${x.task}\tmaxLength ${x.maxLength}\t${x.executionProvider} ×${x.workers}\n`);
        return EXIT.ok;
      }
      case "generate": {
        const { steps, seed, n, sampler, length, clamp, model } = cmd.params;
        const body = { steps, seed, n, sampler, length, clamp, model };
        const r = cmd.stream ? await consume(client.generateStream(body, o), cmd, io) : await client.generate(body, o);
        printResult(r, cmd, io);
        return EXIT.ok;
      }
      case "summarize": {
        const document = await readDocument(cmd, io);
        if (document === null) return EXIT.usage;
        const { steps, seed, n, sampler, guidance, candidates, clamp, maxLength, model } = cmd.params;
        const body = { document, steps, seed, n, sampler, guidance, candidates, clamp, maxLength, model };
        const r = cmd.stream ? await consume(client.summarizeStream(body, o), cmd, io) : await client.summarize(body, o);
        printResult(r, cmd, io);
        return EXIT.ok;
      }
    }
  } catch (e) {
    return report(e, cmd, io);
  }
}

async function readDocument(cmd: Command, io: CliIO): Promise<string | null> {
  if (cmd.file !== undefined) {
    try {
      return await readFile(cmd.file, "utf8");
    } catch (e) {
      io.stderr.write(`diffusion-text: cannot read --file ${cmd.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return null;
    }
  }
  if (io.stdin.isTTY) {
    io.stderr.write("diffusion-text: summarize reads the document from stdin (diffusion-text summarize < article.txt) or --file PATH\n");
    return null;
  }
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of io.stdin) text += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
  text += decoder.decode();
  if (text.trim().length === 0) {
    io.stderr.write("diffusion-text: the document on stdin is empty\n");
    return null;
  }
  return text;
}

/** Streams: a live view on a terminal, NDJSON with --json, one line per step event otherwise. */
async function consume<R extends GenerateResponse>(events: AsyncIterable<StreamEvent<R>>, cmd: Command, io: CliIO): Promise<R> {
  const live = !cmd.json && io.stdout.isTTY ? new LiveView((s) => io.stdout.write(s), Math.max(20, (io.stdout.columns ?? 80) - 1)) : null;
  try {
    for await (const e of events) {
      if (e.type === "done") {
        live?.clear();
        return e.result;
      }
      if (cmd.json) io.stdout.write(JSON.stringify(e) + "\n");
      else if (live) live.update(e.step, e.steps, e.texts);
      else io.stdout.write(`step ${e.step}/${e.steps}\t${e.texts.map((t) => displayLine(t, 10_000)).join("\t")}\n`);
    }
  } catch (e) {
    live?.clear();
    throw e;
  }
  throw new Error("the stream ended without a result");
}

function printResult(r: GenerateResponse | SummarizeResponse, cmd: Command, io: CliIO): void {
  if (cmd.json) {
    io.stdout.write(JSON.stringify(cmd.stream ? { type: "done", result: r } : r) + "\n");
    return;
  }
  for (const t of r.texts) io.stdout.write(t + "\n");
  const doc = "document" in r ? ` · document ${r.document.tokens} tokens${r.document.truncated ? " (truncated)" : ""}` : "";
  const t = r.timings;
  // Details on stderr so stdout is only the text (pipes get just that).
  io.stderr.write(`${r.model.id}@${r.model.version} · ${r.sampler} · ${r.steps} steps · seed ${r.seed}${doc} · queue ${t.queueMs.toFixed(0)} ms, inference ${t.inferenceMs.toFixed(0)} ms, total ${t.totalMs.toFixed(0)} ms${r.cached ? " (cached)" : ""}\n`);
}

function report(e: unknown, cmd: Command, io: CliIO): number {
  const err = (s: string) => io.stderr.write(`diffusion-text: ${s}\n`);
  if (e instanceof ApiError) {
    if (cmd.json) io.stdout.write(JSON.stringify({ error: { status: e.status, code: e.code, message: e.message, requestId: e.requestId, fields: e.fields } }) + "\n");
    const hint = e.status === 401 ? " (set --api-key or DIFFUSION_TEXT_API_KEY)" : "";
    err(`${e.status} ${e.code}: ${e.message}${hint}${e.requestId ? ` [request ${e.requestId}]` : ""}`);
    return e.status === 429 || e.status >= 500 ? EXIT.unavailable : EXIT.refused;
  }
  if (e instanceof TimeoutError) {
    err(`${e.message} (raise --timeout)`);
    return EXIT.timeout;
  }
  if (e instanceof Error && e.name === "AbortError") {
    err("interrupted");
    return EXIT.interrupted;
  }
  if (e instanceof TypeError && /fetch failed/i.test(e.message)) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    err(`cannot reach ${cmd.url}: ${cause?.code ?? cause?.message ?? e.message}`);
    return EXIT.unavailable;
  }
  err(`unexpected failure: ${e instanceof Error ? e.message : String(e)}`);
  return EXIT.unexpected;
}
