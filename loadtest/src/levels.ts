// One load level the way k6's constant-arrival-rate runs it, in Node: arrival i at i / rate seconds
// after the level's start, each taken by a free virtual user (a slot; `vus` of them) or dropped
// when none is free; requests time out after the plan's timeout; every response is checked with
// the same inspectResponse as the k6 scripts. Returns the shared Level (levelFromRecords).
import { inspectResponse, levelFromRecords, makeBody, offeredOf, requestRng, type Level, type LevelScenario, type ResponseRecord } from "../k6/lib/shared.js";

export interface LevelRun {
  level: Level;
  /** Per-request latencies (ms) of this level, ascending. */
  latencies: number[];
}

export interface LevelOptions {
  url: string;
  spec: LevelScenario;
  /** The run seed: request i's body comes from requestRng(seed, level, i), as in the k6 scripts. */
  seed: number;
  documents: string[];
  timeoutSeconds: number;
  /** Denoising steps of every request (null: the mix). */
  steps: number | null;
  apiKey?: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

async function send(o: LevelOptions, headers: Record<string, string>, body: string, levelStart: number): Promise<ResponseRecord> {
  const t0 = performance.now();
  let status = 0;
  let text = "";
  try {
    const res = await fetch(`${o.url}/${o.spec.route}`, { method: "POST", headers, body, signal: AbortSignal.timeout(o.timeoutSeconds * 1000) });
    status = res.status;
    text = await res.text();
  } catch {
    status = 0; // timeout or transport error, as k6 reports them
  }
  const end = performance.now();
  const seen = inspectResponse(status, text);
  return { latencyMs: end - t0, status, endMs: end - levelStart, checks: seen.checks, cached: seen.cached };
}

/** Runs one level; resolves once every request it sent has ended. */
export async function runLevel(o: LevelOptions): Promise<LevelRun> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
  const offered = offeredOf(o.spec);
  const records: ResponseRecord[] = [];
  const inFlight = new Set<Promise<void>>();
  let dropped = 0;
  const start = performance.now();
  for (let i = 0; i < offered; i++) {
    await sleep(start + (i * 1000) / o.spec.rate - performance.now());
    if (inFlight.size >= o.spec.vus) {
      dropped++;
      continue;
    }
    const body = JSON.stringify(makeBody(o.spec.route, requestRng(o.seed, o.spec.key, i), o.documents, o.steps));
    const p: Promise<void> = send(o, headers, body, start).then((r) => {
      records.push(r);
      inFlight.delete(p);
    });
    inFlight.add(p);
  }
  await Promise.all([...inFlight]);
  return { level: levelFromRecords(o.spec, records, dropped), latencies: records.map((r) => r.latencyMs).sort((a, b) => a - b) };
}
