// Prints (or writes, with a path argument) the OpenAPI 3.1 document without a model or a server:
// `npm run openapi -w server -- openapi.json` (the SDK is generated from it).
import { writeFileSync } from "node:fs";
import pino from "pino";
import { loadSettings } from "./settings/index.ts";
import { createApp, openApiDocument } from "./http/app.ts";
import { Metrics } from "./metrics/index.ts";
import type { InferenceApi } from "./inference/types.ts";

const unavailable = (): never => {
  throw new Error("the OpenAPI generator serves no requests");
};
const inference: InferenceApi = { generate: unavailable, summarize: unavailable, models: () => [], readiness: () => ({ ready: false, models: [] }), reload: unavailable, lastReload: () => null };

export function buildOpenApiDocument(env: Record<string, string | undefined> = {}) {
  const app = createApp({ settings: loadSettings(env), inference, metrics: new Metrics(false), logger: pino({ level: "silent" }), lifecycle: { draining: false } });
  return openApiDocument(app);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = JSON.stringify(buildOpenApiDocument(process.env), null, 2) + "\n";
  const out = process.argv[2];
  if (out) writeFileSync(out, text);
  else process.stdout.write(text);
}
