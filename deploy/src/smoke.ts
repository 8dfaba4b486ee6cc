// Post-rollout smoke test through the SDK (@ldtext/sdk): waits for readiness and, when asked, for a
// model version to be served; then checks what it writes, not only that it answers — seeded requests
// to the model's task must come from that version, and every text must be non-blank and decodable
// (no U+FFFD, no control characters); two seeds must give different texts, and for /summarize two
// documents must too. Used by the retrain-redeploy workflow and `npm run pipeline`.
// Without `model`, the task's default model (`/models` `default`) is exercised, through requests that
// name no model — what users get.
import { DiffusionTextClient, type ModelInfo } from "@ldtext/sdk";
import { isDecodable, undecodable } from "./floors.ts";

export interface SmokeOptions {
  url: string;
  /** The model id to exercise (default: the model serving `task` requests that name none). */
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
  /** What the content checks looked at: one text per request. */
  samples: string[];
}

export class SmokeError extends Error {
  override name = "SmokeError";
}

const SAMPLE_DOCUMENTS = [
  "The council approved the new bridge on Tuesday after a two-year debate over its cost. Work starts in spring and the crossing should open in 2028, the council said.",
  "Heavy snow closed hundreds of schools across Scotland and Wales on Monday, and forecasters warned that more was on the way for the rest of the week.",
] as const;

/** Why a text is not something a user should get (null: fine). */
export function contentProblem(text: string): string | null {
  // A stray replacement character (a byte token cut mid-character) is tolerated; more is not text.
  if (!isDecodable(text)) {
    const { bad, visible } = undecodable(text);
    return `is not decodable (${bad} of ${visible} characters are U+FFFD)`;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text)) return "holds control characters";
  if (!/[\p{L}\p{N}]/u.test(text)) return "is blank (no letter or digit)";
  return null;
}

const show = (t: string) => JSON.stringify(t.length > 80 ? `${t.slice(0, 80)}…` : t);

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
        const candidates = models.filter((m) => (o.model === undefined ? m.default !== false : m.id === o.model) && (o.task === undefined || m.task === o.task));
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
  const named = o.model === undefined ? {} : { model: chosen.id };
  const label = o.model ?? `the default ${chosen.task} model`;
  const answers =
    chosen.task === "summarize"
      ? await Promise.all([
          client.summarize({ ...named, document: SAMPLE_DOCUMENTS[0], steps: 10, seed: 7 }),
          client.summarize({ ...named, document: SAMPLE_DOCUMENTS[0], steps: 10, seed: 8 }),
          client.summarize({ ...named, document: SAMPLE_DOCUMENTS[1], steps: 10, seed: 7 }),
        ])
      : await Promise.all([client.generate({ ...named, n: 2, steps: 10, seed: 7 }), client.generate({ ...named, n: 2, steps: 10, seed: 8 })]);
  const texts = answers.flatMap((a) => a.texts);
  for (const a of answers) {
    if (a.texts.length === 0) throw new SmokeError(`${label}: answered with no texts`);
    if (o.expectVersion !== undefined && a.model.version !== o.expectVersion) throw new SmokeError(`${label}: answered by ${a.model.id}@${a.model.version}, expected version ${o.expectVersion}`);
    if (o.model === undefined && a.model.id !== chosen.id) throw new SmokeError(`requests naming no model were answered by ${a.model.id}, but /models says ${chosen.id} is the default`);
  }
  const by = `${answers[0].model.id}@${answers[0].model.version}`;
  for (const t of texts) {
    const problem = contentProblem(t);
    if (problem !== null) throw new SmokeError(`${by}: a text ${problem}: ${show(t)}`);
  }
  const key = (t: string) => t.trim().replace(/\s+/g, " ").toLowerCase();
  if (chosen.task === "summarize") {
    const [a, b, c] = answers.map((r) => key(r.texts[0]));
    if (a === b) throw new SmokeError(`${by}: seeds 7 and 8 gave the same summary: ${show(answers[0].texts[0])}`);
    if (a === c) throw new SmokeError(`${by}: two different documents gave the same summary: ${show(answers[0].texts[0])}`);
  } else {
    const seen = new Map<string, number>();
    for (const t of texts) seen.set(key(t), (seen.get(key(t)) ?? 0) + 1);
    const repeated = [...seen].find(([, n]) => n > 1);
    if (repeated) throw new SmokeError(`${by}: ${repeated[1]} of ${texts.length} texts from seeds 7 and 8 are the same: ${show(repeated[0])}`);
  }
  return { model: answers[0].model.id, version: answers[0].model.version, task: chosen.task, texts: texts.length, inferenceMs: Math.max(...answers.map((a) => a.timings.inferenceMs)), samples: texts };
}
