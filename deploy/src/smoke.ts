// Post-rollout smoke test through the SDK (@ldtext/sdk): waits for readiness and, when asked, for a
// model version to be served; then one seeded request to the model's task must return text from
// that version. Used by the retrain-redeploy workflow (and reusable by `npm run pipeline`).
import { DiffusionTextClient, type ModelInfo } from "@ldtext/sdk";

export interface SmokeOptions {
  url: string;
  /** The model id to exercise (default: the first model serving `task`). */
  model?: string;
  task?: "generate" | "summarize";
  expectVersion?: string;
  apiKey?: string;
  timeoutMs: number;
  pollMs?: number;
}

export interface SmokeResult {
  model: string;
  version: string;
  task: "generate" | "summarize";
  texts: number;
  inferenceMs: number;
}

export class SmokeError extends Error {
  override name = "SmokeError";
}

const SAMPLE_DOCUMENT =
  "The council approved the new bridge on Tuesday after a two-year debate over its cost. Work starts in spring and the crossing should open in 2028, the council said.";

export async function smoke(o: SmokeOptions): Promise<SmokeResult> {
  const client = new DiffusionTextClient({ baseUrl: o.url, apiKey: o.apiKey, timeoutMs: 60_000, retries: 2 });
  const deadline = Date.now() + o.timeoutMs;
  const pollMs = o.pollMs ?? 2000;
  let last = "no answer yet";
  let chosen: ModelInfo | undefined;
  while (chosen === undefined) {
    if (Date.now() > deadline) throw new SmokeError(`timed out after ${o.timeoutMs / 1000} s: ${last}`);
    try {
      const health = await client.health({ timeoutMs: 5000 });
      if (!health.ready) last = `not ready (${health.reason ?? "no reason given"})`;
      else {
        const { models } = await client.models({ timeoutMs: 5000 });
        const candidates = models.filter((m) => (o.model === undefined || m.id === o.model) && (o.task === undefined || m.task === o.task));
        chosen = candidates.find((m) => o.expectVersion === undefined || m.version === o.expectVersion);
        if (chosen === undefined) {
          last = `serving ${models.map((m) => `${m.id}@${m.version} (${m.task})`).join(", ") || "no models"}; waiting for ${o.model ?? o.task ?? "a model"}${o.expectVersion ? `@${o.expectVersion}` : ""}`;
        }
      }
    } catch (err) {
      last = (err as Error).message;
    }
    if (chosen === undefined) await new Promise((r) => setTimeout(r, pollMs));
  }
  const response =
    chosen.task === "summarize"
      ? await client.summarize({ model: chosen.id, document: SAMPLE_DOCUMENT, steps: 10, seed: 7 })
      : await client.generate({ model: chosen.id, n: 1, steps: 10, seed: 7 });
  if (response.texts.length === 0) throw new SmokeError(`${chosen.id}: answered with no texts`);
  if (o.expectVersion !== undefined && response.model.version !== o.expectVersion) {
    throw new SmokeError(`${chosen.id}: answered by version ${response.model.version}, expected ${o.expectVersion}`);
  }
  return { model: chosen.id, version: response.model.version, task: chosen.task, texts: response.texts.length, inferenceMs: response.timings.inferenceMs };
}
