// npm run soak -- --minutes 10 [--models models/] [--rate-fraction 0.6] [--rss-growth 0.2]
//   [--deadline-ms 20000] [--seed 1] [--out loadtest/results/soak.json] [--workers 1] [--queue-size 64]
// Starts the server on a free loopback port with a private copy of --models, runs the soak and
// chaos plan (calibration, 10× overload, steady valid load + fuzz + slow clients + disconnects + one
// hot reload, SIGTERM under load) and prints ONE JSON line. Exit 0 = pass; 1 = any 5xx, lost
// request, RSS growth above the bound, p99 above the deadline, failed reload or shutdown; 2 = bad input.
import { parseArgs } from "node:util";
import { mkdtempSync, rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { writeFileAtomic } from "@ldtext/core";
import { loadDocuments } from "../fixtures.ts";
import { ServerStartError } from "../server-process.ts";
import { runSoak } from "./run.ts";

const repoRoot = new URL("../../../", import.meta.url).pathname;

class UsageError extends Error {}

function num(name: string, raw: string, min: number, max: number): number {
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) throw new UsageError(`--${name} must be a number in [${min}, ${max}], got ${raw}`);
  return v;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      minutes: { type: "string", default: "10" },
      models: { type: "string", default: join(repoRoot, "models") },
      "rate-fraction": { type: "string", default: "0.6" },
      "rss-growth": { type: "string", default: "0.2" },
      "deadline-ms": { type: "string", default: "20000" },
      seed: { type: "string", default: "1" },
      workers: { type: "string" },
      "queue-size": { type: "string" },
      out: { type: "string", default: join(repoRoot, "loadtest/results/soak.json") },
      quiet: { type: "boolean", default: false },
    },
  });
  const minutes = num("minutes", values.minutes, 0.5, 120);
  const work = mkdtempSync(join(tmpdir(), "ldtext-soak-"));
  let keep = false;
  const log = values.quiet ? undefined : (m: string) => console.error(`soak: ${m}`);
  try {
    const result = await runSoak({
      repoRoot,
      models: resolve(values.models),
      workDir: work,
      minutes,
      rateFraction: num("rate-fraction", values["rate-fraction"], 0.05, 2),
      rssGrowth: num("rss-growth", values["rss-growth"], 0, 10),
      deadlineMs: num("deadline-ms", values["deadline-ms"], 1000, 600_000),
      seed: num("seed", values.seed, 0, 2 ** 31),
      documents: loadDocuments(),
      env: {
        ...(values.workers ? { WORKERS: String(num("workers", values.workers, 1, 64)) } : {}),
        ...(values["queue-size"] ? { QUEUE_SIZE: String(num("queue-size", values["queue-size"], 1, 100_000)) } : {}),
      },
      log,
    });
    const command = `npm run soak -- ${process.argv.slice(2).join(" ")}`.trim();
    const line = JSON.stringify({ command, at: new Date().toISOString(), ...result });
    console.log(line);
    await mkdir(dirname(resolve(values.out)), { recursive: true });
    await writeFileAtomic(resolve(values.out), `${line}\n`);
    if (!result.pass) {
      keep = true;
      console.error(`soak: FAIL — ${result.failures.join("; ")} (server log kept in ${work}/soak-server.log)`);
    }
    return result.pass ? 0 : 1;
  } finally {
    if (!keep) rmSync(work, { recursive: true, force: true });
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  if (err instanceof UsageError || err instanceof ServerStartError) {
    console.error(`soak: ${err.message}`);
    process.exitCode = 2;
  } else throw err;
}
