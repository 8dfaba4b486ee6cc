// npm run bench:memory -w server -- [--models models] [--clients 16] [--load-seconds 40] [--idle-seconds 20]
//   [--rounds 2] [--env ORT_CPU_MEM_ARENA=0,ORT_MEM_PATTERN=0]
// Is the server's RSS growth under load a leak or a pool? Starts `server/src/main.ts` on a loopback
// port, runs `rounds` × (closed-loop load at full batches, then idle), and samples the process RSS
// (/proc) and, from /metrics, the JS heap and V8 external memory. A pool rises to its peak in the
// first round and stays there; a leak keeps rising round after round. Prints one JSON line.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { createServer } from "node:net";
import { parseArgs } from "node:util";
import { createInterface } from "node:readline";

const root = new URL("../../", import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    models: { type: "string", default: `${root}models` },
    clients: { type: "string", default: "16" },
    "load-seconds": { type: "string", default: "40" },
    "idle-seconds": { type: "string", default: "20" },
    rounds: { type: "string", default: "2" },
    env: { type: "string", default: "" },
  },
});
const extraEnv = Object.fromEntries(values.env.split(",").filter(Boolean).map((kv) => kv.split("=") as [string, string]));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const port: number = await new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => resolve(p));
  });
});
const child = spawn(process.execPath, ["--import", "tsx", "server/src/main.ts"], {
  cwd: root,
  env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", MODELS_DIR: values.models, LOG_LEVEL: "warn", MODEL_POLL_MS: "0", RESPONSE_CACHE_SIZE: "0", ...extraEnv },
  stdio: ["ignore", "pipe", "inherit"],
});
createInterface({ input: child.stdout! }).on("line", () => {});
const base = `http://127.0.0.1:${port}`;
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
const metric = (text: string, name: string) => Number(text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))?.split(" ").at(-1) ?? NaN) / 2 ** 20;
const snapshot = async (label: string) => {
  const text = await (await fetch(`${base}/metrics`)).text();
  return { label, rssMb: Math.round(rss()), heapUsedMb: Math.round(metric(text, "ldtext_nodejs_heap_size_used_bytes")), externalMb: Math.round(metric(text, "ldtext_nodejs_external_memory_bytes")) };
};
try {
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`${base}/health/ready`).then((r) => r.status === 200, () => false);
    if (ok) break;
    await sleep(500);
  }
  const served = ((await (await fetch(`${base}/models`)).json()) as { models: { task: string }[] }).models.map((m) => m.task);
  const snaps = [await snapshot("ready")];
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 500);
  let requests = 0;
  for (let round = 1; round <= Number(values.rounds); round++) {
    const until = performance.now() + Number(values["load-seconds"]) * 1000;
    await Promise.all(
      Array.from({ length: Number(values.clients) }, async (_, c) => {
        while (performance.now() < until) {
          const summarize = served.includes("summarize") && (c % 2 === 1 || !served.includes("generate"));
          const body = summarize ? { document: `Report ${c}: the council met on Tuesday and approved the plan. `.repeat(8), n: 2, steps: 20 } : { n: 4, steps: 20 };
          const r = await fetch(`${base}/${summarize ? "summarize" : "generate"}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
          await r.arrayBuffer();
          requests++;
        }
      }),
    );
    snaps.push(await snapshot(`round ${round} loaded`));
    await sleep(Number(values["idle-seconds"]) * 1000);
    snaps.push(await snapshot(`round ${round} idle ${values["idle-seconds"]} s`));
  }
  clearInterval(sampler);
  console.log(JSON.stringify({ bench: "server-memory", env: extraEnv, cpu: cpus()[0]?.model, cores: cpus().length, clients: Number(values.clients), requests, peakRssMb: Math.round(peak), snapshots: snaps }));
} finally {
  child.kill("SIGTERM");
}
