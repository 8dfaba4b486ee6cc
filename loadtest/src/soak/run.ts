// The soak and chaos run: a server (a child process on a loopback port, its own copy of the models)
// under valid load at a sustainable rate plus fuzzed bodies, slow clients, disconnects and one hot
// reload, after a calibration and a 10× overload burst; then SIGTERM under load. One result object.
import { cpus, loadavg } from "node:os";
import { readFileSync } from "node:fs";
import { SeededRandom } from "@ldtext/core";
import { spawnServerProcess } from "../server-process.ts";
import type { ServerProcess } from "../server-process.ts";
import { hostile, sendValid, slowBody, validRequest } from "./client.ts";
import type { HostileResult, Valid } from "./client.ts";
import { prepareModels } from "./models.ts";
import { checkRetryAfter, lostRequests, percentile, tally } from "./stats.ts";
import type { RequestRecord, RetryAfterCheck } from "./stats.ts";

export interface SoakOptions {
  repoRoot: string;
  /** Source models (the newest version per id is served from a private copy). */
  models: string;
  /** Where the copy and the server log go. */
  workDir: string;
  minutes: number;
  /** Valid load at this fraction of the calibrated throughput. */
  rateFraction: number;
  /** Allowed RSS growth from after warm-up to the end (0.2 = 20 %). */
  rssGrowth: number;
  /** The server's ADMISSION_DEADLINE_MS; admitted requests' p99 must stay below it. */
  deadlineMs: number;
  seed: number;
  documents: string[];
  /** Extra server environment (WORKERS, ORT settings…). */
  env?: Record<string, string>;
  log?: (msg: string) => void;
}

export interface SoakResult {
  schema: "ldtext-soak/1";
  pass: boolean;
  failures: string[];
  minutes: number;
  cpu: { model: string; cores: number; loadavgStart: number[]; loadavgEnd: number[] };
  models: { id: string; version: string }[];
  calibration: { concurrency: number; okPerSec: number; seconds: number };
  rate: number;
  requests: { total: number; byStatus: Record<string, number> };
  valid: { byStatus: Record<string, number>; p50Ms: number | null; p95Ms: number | null; p99Ms: number | null; deadlineMs: number };
  fiveXX: number;
  lost: number;
  lostSamples: string[];
  serverSide5xx: number;
  overload: { concurrency: number; seconds: number; byStatus: Record<string, number>; p50Ms: number | null; p99Ms: number | null; retryAfter: RetryAfterCheck };
  hostile: { total: number; byStatus: Record<string, number> };
  slowClients: { total: number; cut: number; held: number; maxHeldMs: number };
  disconnects: number;
  reload: { ok: boolean; version: string | null; ms: number | null };
  shutdown: { byStatus: Record<string, number>; exitCode: number | null | "still running"; ms: number };
  rssMb: { start: number | null; peak: number | null; end: number | null; growth: number | null; bound: number };
  durationSec: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

async function metricsText(base: string): Promise<string> {
  return (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
}

/** Waits until the server has no queued or running work (or `maxMs` passed). */
async function waitIdle(base: string, maxMs: number): Promise<void> {
  const until = performance.now() + maxMs;
  while (performance.now() < until) {
    const text = await metricsText(base).catch(() => "");
    const busy = text.split("\n").some((l) => /^ldtext_(queue_size|running_rows)\{/.test(l) && Number(l.slice(l.lastIndexOf(" ") + 1)) > 0);
    if (!busy && text !== "") return;
    await sleep(250);
  }
}

/** Closed loop: `concurrency` clients, each sending its next request when the last one answered. */
async function closedLoop(seconds: number, concurrency: number, next: () => Promise<RequestRecord>, pauseAfter429Ms = 0): Promise<RequestRecord[]> {
  const out: RequestRecord[] = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const r = await next();
        out.push(r);
        if (r.outcome.kind === "status" && r.outcome.status === 429 && pauseAfter429Ms > 0) await sleep(pauseAfter429Ms);
        if (r.outcome.kind === "error") await sleep(100);
      }
    }),
  );
  return out;
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const log = o.log ?? (() => {});
  const t0 = performance.now();
  const total = o.minutes * 60;
  const calibrateS = Math.min(45, Math.max(8, 0.1 * total));
  const overloadS = Math.min(60, Math.max(8, 0.1 * total));
  const steadyS = Math.max(10, total - calibrateS - overloadS - 8);
  const rnd = new SeededRandom(o.seed);
  const loadStart = loadavg();
  const failures: string[] = [];

  const models = await prepareModels(o.models, `${o.workDir}/models`);
  const MAX_BODY = 65_536;
  const REQUEST_TIMEOUT = 5_000;
  const server: ServerProcess = await spawnServerProcess({
    repoRoot: o.repoRoot,
    modelsDir: models.dir,
    logFile: `${o.workDir}/soak-server.log`,
    readyTimeoutMs: 300_000,
    env: {
      LOG_LEVEL: "warn",
      MODEL_POLL_MS: "0",
      RESPONSE_CACHE_SIZE: "0",
      MAX_BODY_BYTES: String(MAX_BODY),
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT),
      HEADERS_TIMEOUT_MS: "3000",
      SHUTDOWN_GRACE_MS: "2000",
      ADMISSION_DEADLINE_MS: String(o.deadlineMs),
      ...o.env,
    },
  });
  const base = server.url;
  const port = Number(new URL(base).port);
  const pid = server.pid;
  const served = ((await (await fetch(`${base}/models`)).json()) as { models: { id: string; task: string }[] }).models;
  const tasks = [...new Set(served.map((m) => m.task))] as ("generate" | "summarize")[];
  log(`server ${base} (pid ${pid}) serving ${served.map((m) => m.id).join(", ")}`);

  let rssPeak = 0;
  const rssTimer = setInterval(() => {
    const r = rssMb(pid);
    if (r !== null) rssPeak = Math.max(rssPeak, r);
  }, 1000);
  const clientTimeoutMs = o.deadlineMs + 30_000;
  const records: RequestRecord[] = [];
  const valid = (phase: RequestRecord["phase"], abortAfterMs?: number) => sendValid(base, validRequest(rnd, o.documents, tasks), { phase, timeoutMs: clientTimeoutMs, abortAfterMs });

  try {
    // 1. Calibration: what this machine sustains, closed loop with 4 clients.
    const calConcurrency = 4;
    log(`calibrating ${calibrateS.toFixed(0)} s …`);
    const cal = await closedLoop(calibrateS, calConcurrency, () => valid("calibrate"));
    records.push(...cal);
    const calOk = cal.filter((r) => r.outcome.kind === "status" && r.outcome.status === 200);
    const calSpan = (Math.max(...cal.map((r) => r.endMs)) - Math.min(...cal.map((r) => r.startMs))) / 1000;
    const okPerSec = calOk.length / Math.max(1, calSpan);
    const rate = Math.max(0.1, o.rateFraction * okPerSec);
    log(`calibrated: ${okPerSec.toFixed(2)} ok/s at concurrency ${calConcurrency}; sustainable rate ${rate.toFixed(2)} req/s`);

    // 2. Overload: 10× the calibration concurrency, clients that retry 100 ms after a 429 (ignoring
    //    Retry-After, to keep the pressure on). Only 200 and 429 may come back.
    const overConcurrency = 10 * calConcurrency;
    log(`overload: ${overConcurrency} clients for ${overloadS.toFixed(0)} s …`);
    const over = await closedLoop(overloadS, overConcurrency, () => valid("overload"), 100);
    records.push(...over);
    const overStatuses = tally(over);
    const overBad = Object.keys(overStatuses).filter((k) => k !== "200" && k !== "429");
    if (overBad.length > 0) failures.push(`overload answered ${overBad.join(", ")} (only 200 and 429 allowed)`);
    const retryAfter = checkRetryAfter(over);
    const overOkMs = over.filter((r) => r.outcome.kind === "status" && r.outcome.status === 200).map((r) => r.endMs - r.startMs);
    if (retryAfter.refusals > 0 && retryAfter.within2x < 0.9 * retryAfter.refusals) failures.push(`Retry-After within 2× of the real drain for only ${retryAfter.within2x}/${retryAfter.refusals} refusals`);
    await waitIdle(base, 120_000);
    await sleep(2000);
    const rssStart = rssMb(pid);
    log(`warm: RSS ${rssStart?.toFixed(0)} MB; steady chaos ${steadyS.toFixed(0)} s at ${rate.toFixed(2)} req/s …`);

    // 3. Steady chaos: valid open-loop load + hostile requests + disconnects + slow clients + one reload.
    const inflight = new Set<Promise<unknown>>();
    const track = <T>(p: Promise<T>): Promise<T> => {
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      return p;
    };
    const hostileResults: HostileResult[] = [];
    const slow: { heldMs: number; status: number | "closed" | "held" }[] = [];
    let disconnects = 0;
    let reload: SoakResult["reload"] = { ok: false, version: null, ms: null };
    const steadyEnd = performance.now() + steadyS * 1000;
    const every = (ms: number, f: () => void) => {
      const timer = setInterval(() => {
        if (performance.now() < steadyEnd) f();
      }, ms);
      return timer;
    };
    let credit = 0;
    let last = performance.now();
    const timers = [
      every(50, () => {
        const now = performance.now();
        credit += ((now - last) / 1000) * rate;
        last = now;
        while (credit >= 1) {
          credit -= 1;
          if (inflight.size > 500) continue; // the client itself must not pile up without bound
          void track(valid("valid").then((r) => records.push(r)));
        }
      }),
      every(400, () => void track(hostile(base, port, rnd, MAX_BODY).then((h) => hostileResults.push(h)))),
      every(2000, () => {
        disconnects++;
        void track(valid("valid", 20 + rnd.nextInt(600)).then((r) => records.push(r)));
      }),
      every(5000, () => void track(slowBody(port, 300, REQUEST_TIMEOUT + 6000).then((s) => slow.push(s)))),
    ];
    const reloadAt = performance.now() + (steadyS * 1000) / 2;
    while (performance.now() < steadyEnd) {
      if (reload.version === null && performance.now() >= reloadAt) {
        const v = await models.addVersion();
        reload = { ok: false, version: v.version, ms: null };
        const r0 = performance.now();
        process.kill(pid, "SIGHUP");
        log(`hot reload: ${v.id}@${v.version} (SIGHUP)`);
        void track(
          (async () => {
            for (let i = 0; i < 600; i++) {
              const m = (await (await fetch(`${base}/models`)).json().catch(() => ({ models: [] }))) as { models: { id: string; version: string }[] };
              if (m.models.some((x) => x.id === v.id && x.version === v.version)) {
                reload = { ok: true, version: v.version, ms: Math.round(performance.now() - r0) };
                return;
              }
              await sleep(200);
            }
          })(),
        );
      }
      await sleep(200);
    }
    for (const t of timers) clearInterval(t);
    await Promise.all([...inflight]);
    await waitIdle(base, 120_000);
    if (!reload.ok) failures.push(`hot reload to ${reload.version} not served`);
    const server5xx = (await metricsText(base))
      .split("\n")
      // 503 from /health/ready while the models loaded at the start is readiness doing its job.
      .filter((l) => /^ldtext_requests_total\{.*status="5\d\d"/.test(l) && !l.includes('route="/health/ready",status="503"'))
      .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
    await sleep(3000);
    const rssEnd = rssMb(pid);
    log(`load stopped; RSS ${rssEnd?.toFixed(0)} MB (peak ${rssPeak.toFixed(0)})`);

    // 4. SIGTERM under load: admitted requests finish, later ones get 503 or a refused connection.
    const shutdownStart = performance.now();
    let stop = false;
    const shutdownRecords: RequestRecord[] = [];
    const clients = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop) {
          const r = await valid("shutdown");
          shutdownRecords.push(r);
          if (r.outcome.kind === "error" || (r.outcome.kind === "status" && r.outcome.status === 503)) await sleep(100);
        }
      }),
    );
    await sleep(2000);
    process.kill(pid, "SIGTERM");
    // Drain (nothing long is running) + the grace twice + start-up slack of a loaded machine.
    const exitCode = await Promise.race([server.exited, sleep(60_000).then(() => "still running" as const)]);
    stop = true;
    await clients;
    records.push(...shutdownRecords);
    if (exitCode !== 0) failures.push(`server exit code after SIGTERM: ${exitCode}`);

    // The verdict.
    const validRecs = records.filter((r) => r.phase === "valid");
    const okMs = validRecs.filter((r) => r.outcome.kind === "status" && r.outcome.status === 200).map((r) => r.endMs - r.startMs);
    const byStatus = tally(records);
    const fiveXX = records.filter((r) => r.outcome.kind === "status" && r.outcome.status >= 500 && !(r.phase === "shutdown" && r.outcome.status === 503)).length;
    const lost = lostRequests(records);
    const hostileStatus: Record<string, number> = {};
    for (const h of hostileResults) hostileStatus[String(h.status)] = (hostileStatus[String(h.status)] ?? 0) + 1;
    const hostile5xx = hostileResults.filter((h) => typeof h.status === "number" && h.status >= 500);
    const p99 = percentile(okMs, 99);
    const growth = rssStart !== null && rssEnd !== null ? rssEnd / rssStart - 1 : null;
    if (fiveXX > 0) failures.push(`${fiveXX} 5xx answers to valid requests`);
    if (hostile5xx.length > 0) failures.push(`${hostile5xx.length} 5xx answers to hostile requests (${hostile5xx.slice(0, 3).map((h) => `${h.name}→${h.status}`).join(", ")})`);
    if (server5xx > 0) failures.push(`the server counted ${server5xx} 5xx responses before shutdown`);
    if (lost.length > 0) failures.push(`${lost.length} admitted requests lost`);
    if (p99 !== null && p99 > o.deadlineMs) failures.push(`p99 ${p99.toFixed(0)} ms above the admission deadline ${o.deadlineMs} ms`);
    if (growth !== null && growth > o.rssGrowth) failures.push(`RSS grew ${(100 * growth).toFixed(1)} % (bound ${(100 * o.rssGrowth).toFixed(0)} %)`);
    const held = slow.filter((s) => s.status === "held");
    if (held.length > 0) failures.push(`${held.length} slow clients still connected ${REQUEST_TIMEOUT + 6000} ms after they started`);
    if (okMs.length === 0) failures.push("no valid request succeeded");
    const round = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
    return {
      schema: "ldtext-soak/1",
      pass: failures.length === 0,
      failures,
      minutes: o.minutes,
      cpu: { model: cpus()[0]?.model ?? "unknown", cores: cpus().length, loadavgStart: loadStart.map((x) => round(x)!), loadavgEnd: loadavg().map((x) => round(x)!) },
      models: models.served,
      calibration: { concurrency: calConcurrency, okPerSec: round(okPerSec)!, seconds: round(calSpan)! },
      rate: round(rate)!,
      requests: { total: records.length, byStatus },
      valid: { byStatus: tally(validRecs), p50Ms: round(percentile(okMs, 50)), p95Ms: round(percentile(okMs, 95)), p99Ms: round(p99), deadlineMs: o.deadlineMs },
      fiveXX,
      lost: lost.length,
      lostSamples: lost.slice(0, 5).map((r) => `${r.phase} ${r.route}: ${JSON.stringify(r.outcome)}`),
      serverSide5xx: server5xx,
      overload: { concurrency: overConcurrency, seconds: overloadS, byStatus: overStatuses, p50Ms: round(percentile(overOkMs, 50)), p99Ms: round(percentile(overOkMs, 99)), retryAfter },
      hostile: { total: hostileResults.length, byStatus: hostileStatus },
      slowClients: { total: slow.length, cut: slow.length - held.length, held: held.length, maxHeldMs: Math.round(Math.max(0, ...slow.map((s) => s.heldMs))) },
      disconnects,
      reload,
      shutdown: { byStatus: tally(shutdownRecords), exitCode, ms: Math.round(performance.now() - shutdownStart) },
      rssMb: { start: round(rssStart), peak: round(rssPeak), end: round(rssEnd), growth: growth === null ? null : Math.round(growth * 1000) / 1000, bound: o.rssGrowth },
      durationSec: Math.round((performance.now() - t0) / 1000),
    };
  } finally {
    clearInterval(rssTimer);
    await server.stop();
  }
}

export type { Valid };
