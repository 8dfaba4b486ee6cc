// Command line → a validated command. node:util's parseArgs does the tokenizing; this module adds
// the numbers' ranges and the environment fallbacks, and says what was wrong in one line.
import { parseArgs } from "node:util";
import type { Sampler } from "@ldtext/sdk";

export const USAGE = `diffusion-text — client for the ldtext inference server

Usage:
  diffusion-text generate  [--steps N] [--seed S] [--n N] [--sampler ddim|sde|ode] [--length L] [--clamp T]
  diffusion-text summarize [--file PATH | < document.txt] [--guidance W] [--candidates K] [--max-length L] [same as generate]
  diffusion-text models | health

Options:
  --clamp T           latent clamping at steps with t ≤ T, 0..1 (0 = off; default: the model's)
  --stream            show the text forming (step events); with --json: one JSON event per line
  --json              print the server's JSON response (for scripts)
  --model ID          a specific model id
  --url URL           server (env DIFFUSION_TEXT_URL, default http://127.0.0.1:8080)
  --api-key KEY       bearer key (env DIFFUSION_TEXT_API_KEY)
  --timeout MS        whole-call deadline (default 120000)
  --retries N         retries on 429/503 (default 2)
  -h, --help          this text

Exit codes: 0 ok, 1 unexpected failure, 2 usage error, 3 request refused (4xx),
            4 server busy, unavailable or unreachable (429, 5xx, network), 5 timed out, 130 interrupted.`;

export class UsageError extends Error {}

export type CommandName = "generate" | "summarize" | "models" | "health";

export interface Command {
  name: CommandName;
  url: string;
  apiKey?: string;
  timeoutMs?: number;
  retries?: number;
  stream: boolean;
  json: boolean;
  file?: string;
  params: {
    steps?: number;
    seed?: number;
    n?: number;
    sampler?: Sampler;
    length?: number;
    guidance?: number;
    candidates?: number;
    clamp?: number;
    maxLength?: number;
    model?: string;
  };
}

const SAMPLERS: readonly Sampler[] = ["ddim", "sde", "ode"];

function num(name: string, raw: string | undefined, o: { int?: boolean; min?: number } = {}): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(v)) throw new UsageError(`--${name} must be a number, got "${raw}"`);
  if (o.int && !Number.isInteger(v)) throw new UsageError(`--${name} must be an integer, got "${raw}"`);
  if (o.min !== undefined && v < o.min) throw new UsageError(`--${name} must be ≥ ${o.min}, got ${raw}`);
  return v;
}

/** Parses argv (without node and the script); `help: true` when usage was asked for. */
export function parseCommand(argv: string[], env: Record<string, string | undefined>): Command | { help: true } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        steps: { type: "string" },
        seed: { type: "string" },
        n: { type: "string" },
        sampler: { type: "string" },
        length: { type: "string" },
        guidance: { type: "string" },
        candidates: { type: "string" },
        clamp: { type: "string" },
        "max-length": { type: "string" },
        model: { type: "string" },
        file: { type: "string" },
        stream: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        url: { type: "string" },
        "api-key": { type: "string" },
        timeout: { type: "string" },
        retries: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help || positionals[0] === "help") return { help: true };
  if (positionals.length === 0) throw new UsageError("missing command: generate, summarize, models or health");
  const name = positionals[0] as CommandName;
  if (!["generate", "summarize", "models", "health"].includes(name)) throw new UsageError(`unknown command "${positionals[0]}"`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  if (v.sampler !== undefined && !SAMPLERS.includes(v.sampler as Sampler)) throw new UsageError(`--sampler must be one of ${SAMPLERS.join(", ")}, got "${v.sampler}"`);
  const summarizeOnly = (["guidance", "candidates", "max-length", "file"] as const).filter((k) => v[k] !== undefined);
  if (name !== "summarize" && summarizeOnly.length > 0) throw new UsageError(`--${summarizeOnly[0]} applies to summarize only`);
  if (name === "summarize" && v.length !== undefined) throw new UsageError("summarize takes --max-length, not --length");
  if (v.stream && name !== "generate" && name !== "summarize") throw new UsageError("--stream applies to generate and summarize");

  const url = v.url ?? env.DIFFUSION_TEXT_URL ?? "http://127.0.0.1:8080";
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
  } catch {
    throw new UsageError(`--url must be an http(s) URL, got "${url}"`);
  }
  const apiKey = v["api-key"] ?? env.DIFFUSION_TEXT_API_KEY;
  return {
    name,
    url,
    apiKey: apiKey && apiKey.length > 0 ? apiKey : undefined,
    timeoutMs: num("timeout", v.timeout, { int: true, min: 1 }),
    retries: num("retries", v.retries, { int: true, min: 0 }),
    stream: v.stream ?? false,
    json: v.json ?? false,
    file: v.file,
    params: {
      steps: num("steps", v.steps, { int: true, min: 1 }),
      seed: num("seed", v.seed, { int: true, min: 0 }),
      n: num("n", v.n, { int: true, min: 1 }),
      sampler: v.sampler as Sampler | undefined,
      length: num("length", v.length, { int: true, min: 1 }),
      guidance: num("guidance", v.guidance, { min: 0 }),
      candidates: num("candidates", v.candidates, { int: true, min: 1 }),
      clamp: num("clamp", v.clamp, { min: 0 }),
      maxLength: num("max-length", v["max-length"], { int: true, min: 1 }),
      model: v.model,
    },
  };
}
