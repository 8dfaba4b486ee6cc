// Test fixtures: real ONNX artifacts with random weights (the exporter's writeRandomArtifact at the
// tiny preset's sizes) and an in-process server on a loopback port.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { placeholderVocabulary, tinyConfig, writeRandomArtifact } from "@ldtext/export";
import pino from "pino";
import type { Logger } from "pino";
import { loadSettings } from "../settings/index.ts";
import { startServer } from "../server.ts";
import type { RunningServer } from "../server.ts";

export function tempDir(prefix = "ldtext-server-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes one random-weight artifact folder `models/<folder>` and returns its path. */
/**
 * `arDec`: the model also has the autoregressive decoder ArDec — `true`: its KV-cached graphs
 * (ar_memory + ar_step, what export writes), `"uncached"`: only the whole-prefix ar_decoder (an
 * artifact exported before the cache). `encoder: false` leaves the encoder graph out (a model that
 * cannot clamp latents, like the shipped ones exported with `--graphs denoiser,decoder`).
 */
export async function writeModel(modelsDir: string, task: "generate" | "summarize", opts: { folder?: string; version?: string; seed?: number; quantize?: "int8"; id?: string; arDec?: boolean | "uncached"; encoder?: boolean } = {}): Promise<string> {
  const folder = opts.folder ?? `${task}-${opts.version ?? "1"}`;
  const { dir } = await writeRandomArtifact({
    config: tinyConfig(task, opts.arDec ? { arDec: { dModel: 32, heads: 2, layers: 1, ffn: 64 } } : {}),
    vocabulary: placeholderVocabulary(300),
    outDir: join(modelsDir, folder),
    seed: opts.seed ?? 1,
    name: opts.id ?? `tiny-${task}`,
    version: opts.version ?? "1",
    quantize: opts.quantize,
    ...(opts.arDec === "uncached" ? { graphs: task === "summarize" ? ["denoiser", "decoder", "cond_encoder", "ar_decoder"] : ["denoiser", "decoder", "ar_decoder"] } : {}),
    ...(opts.encoder === false && !opts.arDec ? { graphs: task === "summarize" ? ["denoiser", "decoder", "cond_encoder"] : ["denoiser", "decoder"] } : {}),
  });
  return dir;
}

/** Rewrites the manifest `sampling` (served defaults) of every model of `task` in a models folder. */
export function setSampling(modelsDir: string, task: "generate" | "summarize", sampling: { guidance?: number; clamp?: number; candidates?: number }): void {
  for (const folder of readdirSync(modelsDir)) {
    const path = join(modelsDir, folder, "manifest.json");
    const m = JSON.parse(readFileSync(path, "utf8")) as { task: string };
    if (m.task === task) writeFileSync(path, JSON.stringify({ ...m, sampling }));
  }
}

/** A models folder holding one generate and one summarize model. */
export async function modelsFolder(): Promise<string> {
  const dir = tempDir("ldtext-models-");
  await writeModel(dir, "generate");
  await writeModel(dir, "summarize");
  return dir;
}

/** A pino logger that keeps its lines (parsed) in memory, for tests that check what was logged. */
export function captureLogger(level = "info"): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

export async function startTestServer(modelsDir: string, env: Record<string, string> = {}, opts: { logger?: Logger } = {}): Promise<RunningServer> {
  const settings = loadSettings({ PORT: "0", HOST: "127.0.0.1", MODELS_DIR: modelsDir, LOG_LEVEL: "silent", WORKERS: "1", INTRA_OP_THREADS: "1", EP: "cpu", MODEL_POLL_MS: "0", ...env });
  const srv = await startServer(settings, opts);
  await srv.loaded;
  return srv;
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { raw: text };
  }
  return { status: res.status, json, headers: res.headers };
}

/** Value of a Prometheus sample line (`name{labels} value`) whose text starts with `prefix`. */
export function metricValue(text: string, prefix: string): number {
  const line = text.split("\n").find((l) => l.startsWith(prefix));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : NaN;
}

/** Parses an SSE body into events. */
export function parseSse(text: string): { event: string; data: unknown }[] {
  return text
    .split("\n\n")
    .filter((b) => b.trim().length > 0)
    .map((block) => {
      let event = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data += line.slice(5).trim();
      }
      return { event, data: JSON.parse(data) as unknown };
    });
}
