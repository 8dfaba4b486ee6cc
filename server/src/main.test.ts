// `npm start`'s entry point as a child process: config errors, SIGHUP reload, and SIGTERM under load
// (every admitted request completes, new ones get 503, the process exits 0).
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { findArtifacts, newestFirst } from "./registry/registry.ts";
import { modelsFolder, postJson, writeModel } from "./testing/fixtures.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

interface Child {
  proc: ChildProcess;
  lines: Record<string, unknown>[];
  waitFor(msg: RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  exit: Promise<number | null>;
}

function startChild(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ["--import", "tsx", "server/src/main.ts"], { cwd: root, env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const lines: Record<string, unknown>[] = [];
  const waiters: { re: RegExp; resolve(l: Record<string, unknown>): void }[] = [];
  createInterface({ input: proc.stdout! }).on("line", (line) => {
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    lines.push(j);
    for (const w of [...waiters]) if (w.re.test(String(j.msg))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(j);
    }
  });
  let stderr = "";
  proc.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
  return {
    proc,
    lines,
    exit,
    waitFor(re, timeoutMs = 60_000) {
      const seen = lines.find((l) => re.test(String(l.msg)));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no log line ${re} within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`)), timeoutMs);
        waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
      });
    },
  };
}

describe("main (child process)", () => {
  test("with no configuration it serves the shipped models in models/", async (t) => {
    const shipped = await findArtifacts(`${root}models`);
    if (shipped.length === 0) return t.skip("models/ holds no artifact");
    // PORT=0 stands in for the default 8080 (which may be taken on a shared machine); MODELS_DIR is left unset.
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== "MODELS_DIR") env[k] = v;
    const proc = spawn(process.execPath, ["--import", "tsx", "server/src/main.ts"], { cwd: root, env: { ...env, PORT: "0", HOST: "127.0.0.1" }, stdio: ["ignore", "pipe", "pipe"] });
    let port = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("the server did not get ready in 120 s")), 120_000);
        createInterface({ input: proc.stdout! }).on("line", (line) => {
          try {
            const j = JSON.parse(line) as Record<string, unknown>;
            if (j.msg === "listening") port = j.port as number;
            if (j.msg === "models ready") {
              clearTimeout(timer);
              resolve();
            }
          } catch {
            // not a log line
          }
        });
      });
      const url = `http://127.0.0.1:${port}`;
      assert.equal((await fetch(`${url}/health/ready`)).status, 200);
      const served = ((await (await fetch(`${url}/models`)).json()) as { models: { id: string; version: string; task: string }[] }).models;
      // One version per id is served: the newest shipped one (older folders stay for rollback).
      const newest = new Map<string, (typeof shipped)[number]>();
      for (const a of [...shipped].sort(newestFirst)) if (!newest.has(a.id)) newest.set(a.id, a);
      for (const a of newest.values()) assert.ok(served.some((m) => m.id === a.id && m.version === a.version), `${a.id}@${a.version} is served`);
      assert.equal(served.length, newest.size, `served ${JSON.stringify(served)}`);
      if (served.some((m) => m.task === "generate")) {
        const r = await postJson(`${url}/generate`, { n: 2, steps: 5, seed: 1 });
        assert.equal(r.status, 200);
        assert.equal((r.json.texts as string[]).length, 2);
      }
      if (served.some((m) => m.task === "summarize")) {
        const r = await postJson(`${url}/summarize`, { document: "The council approved the bridge plan on Tuesday.\nWork starts in May.", n: 1, steps: 5, seed: 1 });
        assert.equal(r.status, 200, JSON.stringify(r.json));
        assert.equal((r.json.texts as string[]).length, 1);
      }
    } finally {
      proc.kill("SIGKILL");
    }
  });

  test("an invalid configuration exits 2 naming the variable", async () => {
    const c = startChild({ WORKERS: "zero" });
    let err = "";
    c.proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    assert.equal(await c.exit, 2);
    assert.match(err, /WORKERS/);
  });

  test("SIGHUP reloads; SIGTERM under load: admitted requests complete, new ones get 503, exit 0", async () => {
    const models = await modelsFolder();
    const c = startChild({ MODELS_DIR: models, MAX_STEPS: "5000", DRAIN_TIMEOUT_MS: "30000" });
    try {
      const port = (await c.waitFor(/^listening$/)).port as number;
      await c.waitFor(/^models ready$/);
      const url = `http://127.0.0.1:${port}`;

      await writeModel(models, "generate", { version: "2", seed: 2 });
      c.proc.kill("SIGHUP");
      await c.waitFor(/^reload finished$/);
      const m = (await (await fetch(`${url}/models`)).json()) as { models: { id: string; version: string }[] };
      assert.equal(m.models.find((x) => x.id === "tiny-generate")?.version, "2");

      const admitted = Array.from({ length: 6 }, (_, i) => postJson(`${url}/generate`, { steps: 1500, seed: i }));
      // wait until all six are admitted (running, or queued behind the row budget)
      let admittedRows = false;
      for (let i = 0; i < 1500 && !admittedRows; i++) {
        const text = await (await fetch(`${url}/metrics`)).text();
        admittedRows = /ldtext_running_rows\{model="tiny-generate"\} 6\b/.test(text);
        if (!admittedRows) await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(admittedRows, "the six requests were admitted before SIGTERM");
      c.proc.kill("SIGTERM");
      await c.waitFor(/^draining/);
      const late = await postJson(`${url}/generate`, { steps: 1 });
      assert.equal(late.status, 503);
      const ready = await fetch(`${url}/health/ready`);
      assert.equal(ready.status, 503);
      const results = await Promise.all(admitted);
      assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
      assert.equal(await c.exit, 0);
      assert.ok(c.lines.some((l) => l.msg === "stopped"));
    } finally {
      c.proc.kill("SIGKILL");
    }
  });
});
