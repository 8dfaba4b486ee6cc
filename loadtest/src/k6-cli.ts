// npm run loadtest:k6 -- [--url http://HOST:PORT] [--profile smoke|default] [--routes generate,summarize]
//   [--levels 1,2,4] [--ramp 8,16|none] [--seconds 20] [--ramp-seconds 10] [--drain 10] [--timeout 10]
//   [--steps 10] [--vus N] [--warmup N] [--seed N] [--failed-rate 0.01] [--p95 generate=2000,…] [--p99 …]
//   [--models models/] [--out loadtest/results] [--api-key K]
// Runs loadtest/k6/{generate,summarize}.js with k6 when `k6` is on the PATH; otherwise says so and
// exits 3 (nothing was measured). Without --url it starts the server on a free loopback port first.
// k6 writes <out>/k6-<route>-summary.json (+ .txt); this runner merges them into
// <out>/k6-summary.json (+ .txt, with the machine's CPU model and load average) and draws
// <out>/k6-latency.{svg,png}: the same shape and files as `npm run loadtest`.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { delimiter, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "@ldtext/charts";
import { formatSummaryText, mergeSummaries, planScenarios, ROUTES, type Route, type Summary } from "../k6/lib/shared.js";
import { recordEnvironment } from "./environment.ts";
import { writeLatencyChart } from "./plot.ts";
import { planEnv, planOverrides, RUN_OPTIONS, seedFrom, serverEnvFor, thresholdsFrom } from "./run-options.ts";
import { spawnServerProcess, type ServerProcess } from "./server-process.ts";

const repoRoot = new URL("../../", import.meta.url).pathname;

/** The k6 executable on PATH, or null. */
export function findOnPath(name: string, pathVar = process.env.PATH ?? ""): string | null {
  for (const dir of pathVar.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

export const K6_MISSING = [
  "k6 is not on the PATH, so nothing was run.",
  "k6 is a Go binary (not in Debian's archive or on npm): install it from https://grafana.com/docs/k6/latest/set-up/install-k6/",
  "The same scenarios and thresholds run without it: npm run loadtest",
].join("\n");

/** The `k6 run` arguments for one route's script (environment variables as -e NAME=value). */
export function k6Args(route: Route, env: Record<string, string>): string[] {
  return ["run", "--quiet", "--no-usage-report", ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]), join(repoRoot, "loadtest/k6", `${route}.js`)];
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { ...RUN_OPTIONS } });
  const k6 = findOnPath("k6");
  if (k6 === null) {
    console.error(K6_MISSING);
    return 3;
  }
  const routes = values.routes.split(",").filter(Boolean) as Route[];
  for (const r of routes) if (!ROUTES.includes(r)) throw new Error(`unknown route ${r}`);
  // Validate the plan here, before a server starts (k6 would fail the same way, later).
  const planned = planScenarios(values.profile, routes, planOverrides(values));
  thresholdsFrom(values);
  const seed = seedFrom(values.seed);
  const outDir = resolve(values.out);
  await mkdir(outDir, { recursive: true });
  let server: ServerProcess | undefined;
  try {
    if (values.url === undefined) server = await spawnServerProcess({ repoRoot, modelsDir: values.models, logFile: join(outDir, "k6-server.log"), env: serverEnvFor(planned).env });
    const url = values.url ?? server!.url;
    console.error(`seed ${seed}${values.seed === undefined ? ` (fresh; --seed ${seed} repeats the bodies)` : ""}; ${planned.plan.length} levels, ${planned.totalSeconds} s`);
    const environment = recordEnvironment();
    let status = 0;
    const summaries: Summary[] = [];
    for (const route of routes) {
      const env: Record<string, string> = { BASE_URL: url, PROFILE: values.profile, RESULTS_DIR: outDir, SEED: String(seed), ...planEnv(values) };
      if (values["api-key"]) env.API_KEY = values["api-key"];
      const args = k6Args(route, env);
      console.error(`k6 ${args.filter((a) => !a.startsWith("API_KEY=")).join(" ")}`);
      const res = spawnSync(k6, args, { stdio: "inherit", cwd: repoRoot });
      // k6 exits 99 when thresholds fail.
      if (res.status !== 0) status = Math.max(status, res.status === 99 ? 1 : 2);
      if (server?.exitedEarly()) {
        console.error(`loadtest:k6: the server exited during the run (signal or crash, not this runner; see ${join(outDir, "k6-server.log")}); these figures are not the server's`);
        status = 2;
      }
      const file = join(outDir, `k6-${route}-summary.json`);
      if (existsSync(file)) summaries.push(JSON.parse(readFileSync(file, "utf8")) as Summary);
      else status = 2;
    }
    if (summaries.length > 0) {
      const merged = mergeSummaries(summaries);
      merged.environment = { ...environment(), ...(server ? { server: serverEnvFor(planned).description } : {}) };
      const text = formatSummaryText(merged);
      await writeFileAtomic(join(outDir, "k6-summary.json"), `${JSON.stringify(merged, null, 2)}\n`);
      await writeFileAtomic(join(outDir, "k6-summary.txt"), `${text}\n`);
      const chart = await writeLatencyChart([merged], join(outDir, "k6-latency"));
      console.log(`\nwrote ${join(outDir, "k6-summary.json")}${chart ? `, ${chart.svgPath}` : ""}`);
      if (!merged.pass) status = Math.max(status, 1);
    }
    return status;
  } finally {
    await server?.stop();
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  try {
    process.exitCode = await main();
  } catch (err) {
    console.error(`loadtest:k6: ${(err as Error).message}`);
    process.exitCode = 2;
  }
}
