// npm run loadtest:k6 -- [--url http://HOST:PORT] [--profile smoke|default] [--routes generate,summarize]
//   [--models models/] [--out loadtest/results] [--seed 1] [--api-key K]
// Runs loadtest/k6/{generate,summarize}.js with k6 when `k6` is on the PATH; otherwise says so and
// exits 3 (nothing was measured). Without --url it starts the server on a free loopback port first.
// k6 writes <out>/k6-<route>-summary.json (+ .txt), the same shape as `npm run loadtest`.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ROUTES, type Route } from "../k6/lib/shared.js";
import { RUN_OPTIONS } from "./run-options.ts";
import { startServer, ServerStartError, type RunningServer } from "./server-process.ts";

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

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ...RUN_OPTIONS,
    },
  });
  const k6 = findOnPath("k6");
  if (k6 === null) {
    console.error(K6_MISSING);
    return 3;
  }
  const routes = values.routes.split(",").filter(Boolean) as Route[];
  for (const r of routes) if (!ROUTES.includes(r)) throw new ServerStartError(`unknown route ${r}`);
  let server: RunningServer | undefined;
  try {
    if (values.url === undefined) server = await startServer({ repoRoot, modelsDir: values.models, logFile: join(resolve(values.out), "k6-server.log") });
    const url = values.url ?? server!.url;
    let status = 0;
    for (const route of routes) {
      const env = ["BASE_URL=" + url, `PROFILE=${values.profile}`, `RESULTS_DIR=${resolve(values.out)}`, `SEED=${values.seed}`];
      if (values["api-key"]) env.push(`API_KEY=${values["api-key"]}`);
      const args = ["run", ...env.flatMap((e) => ["-e", e]), join(repoRoot, "loadtest/k6", `${route}.js`)];
      console.error(`k6 ${args.filter((a) => !a.startsWith("API_KEY=")).join(" ")}`);
      const res = spawnSync(k6, args, { stdio: "inherit", cwd: repoRoot });
      // k6 exits 99 when thresholds fail.
      if (res.status !== 0) status = res.status === 99 ? 1 : 2;
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
