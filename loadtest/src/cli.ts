// npm run loadtest -- [--url http://127.0.0.1:PORT] [--profile smoke|default] [--routes generate,summarize]
//   [--levels 1,2,4] [--ramp 8,16|none] [--seconds 20] [--ramp-seconds 10] [--drain 10] [--timeout 10]
//   [--steps 10] [--vus N] [--seed N] [--models models/] [--out loadtest/results] [--max-requests 5000]
//   [--max-seconds 900] [--api-key K] [--failed-rate 0.01] [--p95 generate=2000,…] [--p99 generate=5000,…]
// Runs the k6 plan with Node's own constant-arrival-rate (levels.ts) against --url (loopback only)
// or a server it starts on a free loopback port with MODELS_DIR=--models. Writes
// <out>/loadtest-summary.json (+ .txt) and <out>/loadtest-latency.{svg,png}; exit 0 = thresholds
// pass, 1 = a threshold failed, 2 = bad input or the server could not start.
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { mkdir } from "node:fs/promises";
import { writeFileAtomic } from "@ldtext/charts";
import { formatSummaryText, ROUTES, type Route, type Thresholds } from "../k6/lib/shared.js";
import { recordEnvironment } from "./environment.ts";
import { loadDocuments } from "./fixtures.ts";
import { writeLatencyChart } from "./plot.ts";
import { BudgetError, checkBudget, runLoadtest } from "./run-loadtest.ts";
import { planOverrides, RUN_OPTIONS, seedFrom, serverEnvFor, thresholdsFrom } from "./run-options.ts";
import { spawnServerProcess, ServerStartError, type ServerProcess } from "./server-process.ts";
import { loopbackUrl, TargetError } from "./target.ts";

const repoRoot = new URL("../../", import.meta.url).pathname;

class UsageError extends Error {}

function positive(name: string, raw: string): number {
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new UsageError(`--${name} must be a positive number, got ${raw}`);
  return v;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ...RUN_OPTIONS,
      "max-requests": { type: "string", default: "5000" },
      "max-seconds": { type: "string", default: "900" },
    },
  });
  const routes = values.routes.split(",").filter(Boolean) as Route[];
  for (const r of routes) if (!ROUTES.includes(r)) throw new UsageError(`unknown route ${r} (known: ${ROUTES.join(", ")})`);
  const maxSeconds = positive("max-seconds", values["max-seconds"]);
  const maxRequests = positive("max-requests", values["max-requests"]);
  let overrides, seed, budget, thresholds: Thresholds;
  try {
    thresholds = thresholdsFrom(values);
    overrides = planOverrides(values);
    seed = seedFrom(values.seed);
    budget = checkBudget(values.profile, routes, maxSeconds, maxRequests, overrides);
  } catch (err) {
    // Bad plan flags, an unknown profile, too many VUs: the plan's own message.
    throw err instanceof BudgetError ? err : new UsageError((err as Error).message);
  }
  const { planned, levels, requests } = budget;
  const target = values.url === undefined ? undefined : loopbackUrl(values.url);
  const outDir = resolve(values.out);
  const documents = loadDocuments();

  let server: ServerProcess | undefined;
  // A hard stop in case something hangs past the budget (server start, a stuck connection).
  const watchdog = setTimeout(() => {
    console.error(`loadtest: exceeded ${maxSeconds + 240} s, aborting`);
    void server?.stop().finally(() => process.exit(2));
  }, (maxSeconds + 240) * 1000);
  watchdog.unref();
  try {
    if (target === undefined) {
      console.error(`starting the server (MODELS_DIR=${values.models}) …`);
      server = await spawnServerProcess({ repoRoot, modelsDir: values.models, logFile: join(outDir, "loadtest-server.log"), env: serverEnvFor(planned).env });
      console.error(`server ready at ${server.url} (pid ${server.pid})`);
    }
    const url = target?.origin ?? server!.url;
    console.error(`seed ${seed}${values.seed === undefined ? ` (fresh; --seed ${seed} repeats the bodies)` : ""}`);
    console.error(`profile ${values.profile}: ${levels.length} levels, ≤ ${requests} requests, ${planned.totalSeconds} s`);
    const environment = recordEnvironment();
    const summary = await runLoadtest({
      url,
      profile: values.profile,
      routes,
      overrides,
      documents,
      thresholds,
      maxRequests,
      maxSeconds,
      seed,
      apiKey: values["api-key"],
      onLevel: (l, i, n) => {
        console.error(`[${i + 1}/${n}] ${l.key}: offered ${l.offered}, sent ${l.sent}, dropped ${l.dropped}, failed ${l.failed}, achieved ${l.achievedRps.toFixed(2)}/s, p95 ${l.latencyMs.p95?.toFixed(1) ?? "—"} ms`);
      },
    });
    if (server?.exitedEarly()) {
      console.error(`loadtest: the server exited during the run (signal or crash, not this runner; see ${join(outDir, "loadtest-server.log")}); these figures are not the server's`);
      return 2;
    }
    summary.environment = { ...environment(), ...(server ? { server: serverEnvFor(planned).description } : {}) };
    const text = formatSummaryText(summary);
    await mkdir(outDir, { recursive: true });
    await writeFileAtomic(join(outDir, "loadtest-summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
    await writeFileAtomic(join(outDir, "loadtest-summary.txt"), `${text}\n`);
    const chart = await writeLatencyChart([summary], join(outDir, "loadtest-latency"));
    console.log(text);
    console.log(`\nwrote ${join(outDir, "loadtest-summary.json")}${chart ? `, ${chart.svgPath}${chart.pngPath ? `, ${chart.pngPath}` : ""}` : ""}`);
    return summary.pass ? 0 : 1;
  } finally {
    await server?.stop();
    clearTimeout(watchdog);
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  if (err instanceof UsageError || err instanceof TargetError || err instanceof BudgetError || err instanceof ServerStartError) {
    console.error(`loadtest: ${err.message}`);
    process.exitCode = 2;
  } else throw err;
}
