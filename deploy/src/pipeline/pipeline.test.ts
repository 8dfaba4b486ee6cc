// `npm run pipeline -- --preset tiny` end to end against a live server (its own process, loopback):
// real training (a few steps on the committed Wikipedia fixture), export, verify, evaluation, gate,
// promotion into the server's MODELS_DIR, hot reload through the admin route, SDK smoke test.
// One training run serves three pipeline runs on the same run folder, which also shows resuming:
//   1. --force-gate-fail: stops at the gate; the old version serves, the models folder is unchanged;
//   2. --fail-stage smoke: promoted and reloaded, then rolled back; the old version serves again;
//   3. plain (through `npm run pipeline`), with a load loop running across the swap: the new
//      version serves and no request failed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIRST_BPE_ID, modelConfigFromPreset, parseManifest, PRESETS, writeManifest } from "@ldtext/core";
import { placeholderVocabulary, writeRandomArtifact } from "@ldtext/export";
import { startServer, type RunningServer } from "@ldtext/loadtest";
import type { PipelineResult } from "./run.ts";
import type { PipelineState } from "./state.ts";

const repoRoot = new URL("../../../", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "pipeline-"));
const modelsDir = join(work, "models");
const runDir = join(work, "run");
const OLD = "2026.11.1";
const NEW = "2026.11.2";
const API_KEY = "user-key";
const ADMIN_KEY = "admin-key";
let server: RunningServer;

before(async () => {
  const vocabSize = FIRST_BPE_ID + PRESETS.tiny.topK;
  const dir = join(modelsDir, "generate", OLD);
  await writeRandomArtifact({ config: modelConfigFromPreset("tiny", "generate", vocabSize), vocabulary: placeholderVocabulary(vocabSize), outDir: dir, seed: 1, name: "generate", version: OLD });
  // The scores recorded when the old version was deployed (the gate's baseline): low enough that a
  // few training steps pass with the default tolerance.
  const manifest = parseManifest(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")));
  await writeManifest(dir, { ...manifest, evaluation: { "unconditional.div.div": 0.2, "unconditional.mem.mem": 0.9, "eval.samples": 8, "eval.steps": 50 } });
  server = await startServer({ repoRoot, modelsDir, logFile: join(work, "server.log"), readyTimeoutMs: 120_000, env: { API_KEYS: API_KEY, ADMIN_KEYS: ADMIN_KEY, LOG_LEVEL: "info" } });
});

after(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

function pipeline(extra: string[], viaNpm = false): Promise<{ code: number | null; stdout: string; stderr: string; result: PipelineResult }> {
  const args = [
    "--preset", "tiny", "--data", join(repoRoot, "core/bench/fixtures/wikipedia-sample.jsonl.gz"), "--steps", "4", "--run-dir", runDir,
    "--models-dir", modelsDir, "--server-url", server.url, "--api-key", API_KEY, "--admin-key", ADMIN_KEY, "--version", NEW,
    "--samples", "8", "--eval-steps", "4", "--train-arg=--val-examples=16", "--train-arg=--max-train=200", ...extra,
  ];
  const [cmd, argv] = viaNpm ? ["npm", ["run", "--silent", "pipeline", "--", ...args]] : [process.execPath, ["--import", "tsx", join(repoRoot, "deploy/src/pipeline/cli.ts"), ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      const line = stdout.trim().split("\n").pop() ?? "";
      try {
        resolve({ code, stdout, stderr, result: JSON.parse(line) as PipelineResult });
      } catch {
        reject(new Error(`no result line (exit ${code}):\n${stdout}\n${stderr}`));
      }
    });
  });
}

async function served(): Promise<string | undefined> {
  const res = await fetch(`${server.url}/models`, { headers: { authorization: `Bearer ${API_KEY}` } });
  const body = (await res.json()) as { models: { id: string; version: string }[] };
  return body.models.find((m) => m.id === "generate")?.version;
}

async function generateVersion(seed: number): Promise<string> {
  const res = await fetch(`${server.url}/generate`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` }, body: JSON.stringify({ n: 1, steps: 4, seed }) });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return (JSON.parse(text) as { model: { version: string } }).model.version;
}

const versionFolders = () => readdirSync(join(modelsDir, "generate")).sort();
const state = () => JSON.parse(readFileSync(join(runDir, "pipeline.json"), "utf8")) as PipelineState;

test("a forced gate failure stops before the models folder: the old version keeps serving", async () => {
  const r = await pipeline(["--force-gate-fail"]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.result.outcome, "gate-failed");
  for (const s of ["train", "export", "verify", "evaluate"] as const) assert.equal(state().stages[s].status, "done", `${s}: ${state().stages[s].note}`);
  assert.equal(state().stages.gate.status, "failed");
  assert.match(state().stages.gate.note!, /forced failure .*vs generate@2026\.11\.1: all 2 metrics/);
  assert.deepEqual(state().previous?.version, OLD);
  assert.deepEqual(versionFolders(), [OLD], "nothing was installed");
  assert.equal(await served(), OLD);
  assert.equal(await generateVersion(1), OLD);
  // The stage list: every stage that ran, with its outcome.
  assert.match(r.stderr, /\[1\/9\] train done in [\d.]+ s: 4 steps/);
  assert.match(r.stderr, /\[5\/9\] gate failed/);
  assert.match(r.stderr, /warning: generate@2026\.11\.1 was evaluated with other steps \(steps 50\)/);
  assert.match(r.stderr, /nothing was installed: generate@2026\.11\.1 is untouched/);
});

test("a failure after promotion rolls back: the new version is removed and the old one serves again", async () => {
  const trained = statSync(join(runDir, "train", "summary.json")).mtimeMs;
  const r = await pipeline(["--fail-stage", "smoke"]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.result.outcome, "rolled-back", r.stderr);
  assert.equal(statSync(join(runDir, "train", "summary.json")).mtimeMs, trained, "finished stages are skipped on a re-run");
  assert.match(r.stderr, /\[1\/9\] train done earlier, skipped/);
  assert.match(r.stderr, /\[7\/9\] reload done .*generate@2026\.11\.2 after reload/);
  assert.match(r.stderr, /\[9\/9\] rollback done .*generate@2026\.11\.1 serving again/);
  assert.deepEqual(versionFolders(), [OLD]);
  assert.equal(await served(), OLD);
  assert.equal(await generateVersion(2), OLD);
  assert.equal(state().stages.promote.status, "undone");
});

test("npm run pipeline -- --preset tiny: the new version serves, no request fails across the swap", async (t) => {
  let stop = false;
  const seen: string[] = [];
  const failures: string[] = [];
  const client = async (c: number) => {
    for (let i = 0; !stop; i++) {
      try {
        const res = await fetch(`${server.url}/generate`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` }, body: JSON.stringify({ n: 1, steps: 4, seed: c * 100_000 + i }) });
        const text = await res.text();
        if (res.status !== 200) failures.push(`${res.status} ${text.slice(0, 200)}`);
        else seen.push((JSON.parse(text) as { model: { version: string } }).model.version);
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
  };
  const loop = Promise.all([client(1), client(2)]);
  let r;
  try {
    r = await pipeline([], true);
  } finally {
    // A few more requests after the swap, then stop.
    const n = seen.length;
    while (seen.length < n + 4 && failures.length === 0) await new Promise((res) => setTimeout(res, 50));
    stop = true;
    await loop;
  }
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.result.outcome, "kept");
  t.diagnostic(`load loop: ${seen.length} requests, ${seen.filter((v) => v === OLD).length} by ${OLD}, ${seen.filter((v) => v === NEW).length} by ${NEW}, ${failures.length} failed`);
  assert.deepEqual(failures, [], "no request failed during the swap");
  assert.ok(seen.includes(OLD) && seen.at(-1) === NEW, `the loop ran across the swap (${seen.length} requests: ${seen[0]} … ${seen.at(-1)})`);
  assert.equal(await served(), NEW);
  assert.deepEqual(versionFolders(), [OLD, NEW]);
  const manifest = parseManifest(JSON.parse(readFileSync(join(modelsDir, "generate", NEW, "manifest.json"), "utf8")));
  assert.equal(typeof manifest.evaluation?.["unconditional.div.div"], "number", "the new version carries its scores for the next gate");
  assert.ok(readdirSync(join(modelsDir, "generate"), { withFileTypes: true }).every((e) => !e.name.startsWith(".")), "no temporary folder left");
  assert.match(r.stderr, /\[8\/9\] smoke done .*generate@2026\.11\.2 answered/);
  assert.match(r.stderr, /\[9\/9\] rollback skipped/);
  // A re-run of a finished pipeline changes nothing.
  const again = await pipeline([]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((again.stderr.match(/done earlier, skipped/g) ?? []).length, 8);
  assert.deepEqual(versionFolders(), [OLD, NEW]);
  assert.equal(await served(), NEW);
});
