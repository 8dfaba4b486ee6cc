// npx tsx deploy/src/cli/smoke.ts --url http://127.0.0.1:8080 [--expect-version V] [--model NAME]
//   [--api-key K] [--timeout-s 300]
// Post-rollout smoke test of a running server through its public API (issue-5 routes): waits for
// /health/ready (and, with --expect-version, for that model version to be listed by /models), then
// one seeded /generate (or /summarize for a summarization model) must return text. Exit 0/1.
// It speaks plain HTTP (fetch) because the generated SDK in clients/sdk did not exist when this was
// written; switch to the SDK's client once it lands.
import { parseArgs } from "node:util";

interface Options {
  url: string;
  expectVersion?: string;
  model?: string;
  apiKey?: string;
  timeoutMs: number;
}

async function getJson(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text for the error message
  }
  return { status: res.status, body, headers: res.headers };
}

async function waitFor(what: string, deadline: number, probe: () => Promise<boolean>): Promise<void> {
  let last = "";
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (${last})` : ""}`);
}

function versionsIn(body: unknown): string[] {
  // /models lists model entries; accept any object carrying `version` fields.
  const found: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (typeof o.version === "string") found.push(o.version);
      Object.values(o).forEach(walk);
    }
  };
  walk(body);
  return found;
}

async function smoke(o: Options): Promise<string> {
  const base = o.url.replace(/\/+$/, "");
  const deadline = Date.now() + o.timeoutMs;
  await waitFor("/health/ready", deadline, async () => (await fetch(`${base}/health/ready`)).status === 200);
  let models: unknown;
  await waitFor(o.expectVersion ? `model version ${o.expectVersion}` : "/models", deadline, async () => {
    models = (await getJson(`${base}/models`)).body;
    return o.expectVersion === undefined || versionsIn(models).includes(o.expectVersion);
  });
  const summarize = o.model === "summarize";
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
  const body = summarize
    ? { document: "The council approved the new bridge on Tuesday after a two-year debate over its cost.", steps: 10, seed: 7 }
    : { n: 1, steps: 10, seed: 7 };
  const res = await getJson(`${base}/${summarize ? "summarize" : "generate"}`, { method: "POST", headers, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`POST /${summarize ? "summarize" : "generate"} → ${res.status}: ${JSON.stringify(res.body)}`);
  const text = JSON.stringify(res.body);
  const served = res.headers.get("x-model-version");
  if (o.expectVersion && served !== null && served !== o.expectVersion) throw new Error(`served by version ${served}, expected ${o.expectVersion}`);
  return `ok: ${summarize ? "summarize" : "generate"} answered (${text.length} bytes, version ${served ?? "?"})`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      url: { type: "string" },
      "expect-version": { type: "string" },
      model: { type: "string" },
      "api-key": { type: "string", default: process.env.LDTEXT_API_KEY },
      "timeout-s": { type: "string", default: "300" },
    },
  });
  if (values.url === undefined) {
    console.error("usage: smoke.ts --url <server> [--expect-version V] [--model generate|summarize] [--api-key K]");
    return 2;
  }
  try {
    console.log(await smoke({ url: values.url, expectVersion: values["expect-version"], model: values.model, apiKey: values["api-key"], timeoutMs: Number(values["timeout-s"]) * 1000 }));
    return 0;
  } catch (err) {
    console.error(`smoke test failed: ${(err as Error).message}`);
    return 1;
  }
}

process.exitCode = await main();
