// `npm run pipeline -- --preset tiny` end to end against a live server (its own process, loopback):
// real training (a few steps on the committed Wikipedia fixture), export, verify, evaluation, gate,
// promotion into the server's MODELS_DIR, hot reload through the admin route, SDK smoke test.
// The served model is `stories` (not named after its task); its manifest records scores taken with
// the test's evaluation settings, which each test sets.
//   1. --model stories-v2 (a new id): judged against stories, the model serving generate, and refused
//      (the served model's recorded scores are out of reach); nothing installed, stories answers;
//   2. no --model (so: stories), --fail-stage smoke: the served version has no recorded scores, so the
//      gate evaluates it with the candidate's settings; promoted and reloaded, then rolled back; the
//      old version serves again;
//   3. plain (through `npm run pipeline`, same run folder: training is not repeated), with a load loop
//      running across the swap: the new version serves requests naming no model, none failed.
// Tests 2 and 3 retrain from the served artifact (--init-from, decoder frozen), so the candidate writes
// the served model's placeholder words; those are no English, so the floors that need words of the
// corpus or n-grams are lowered (--floor), as a user would to exercise the machinery — the floors'
// defaults are tested in floors.test.ts and quality-gate.test.ts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseManifest, writeManifest } from "@ldtext/core";
import { spawnServerProcess, type ServerProcess } from "@ldtext/loadtest";
import { writeTestArtifact } from "../test-artifacts.ts";
import type { PipelineResult } from "./run.ts";
import type { PipelineState } from "./state.ts";

const repoRoot = new URL("../../../", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "pipeline-"));
const modelsDir = join(work, "models");
const runDir = join(work, "run");
const data = join(repoRoot, "core/bench/fixtures/wikipedia-sample.jsonl.gz");
// Retraining continues from the served artifact with its decoder frozen (training's --init-from
// --freeze-ae): 4 steps then write its placeholder words (decodable, distinct), as a healthy model would.
const FROM_SERVED = () => [`--train-arg=--init-from=${oldDir}`, "--train-arg=--freeze-ae"];
const LOW_FLOORS = ["--floor", "div=0", "--floor", "mem=off", "--floor", "invented=off", "--floor", "distinct=0.5", "--floor", "nonEmpty=0.5"];
const OLD = "2026.11.1";
const NEW = "2026.11.2";
const API_KEY = "user-key";
const ADMIN_KEY = "admin-key";
let server: ServerProcess;

const oldDir = join(modelsDir, "stories", OLD);

/** The scores recorded in the served version's manifest, taken with the test's evaluation settings (so the gate compares with them). */
async function recordServedScores(scores: Record<string, number> | null): Promise<void> {
  const { evaluation: _old, ...manifest } = parseManifest(JSON.parse(readFileSync(join(oldDir, "manifest.json"), "utf8")));
  await writeManifest(oldDir, scores === null ? manifest : { ...manifest, evaluation: { ...scores, "eval.data": data, "eval.samples": 8, "eval.steps": 4, "eval.seed": 0, "eval.reflm": "none" } });
}

before(async () => {
  await writeTestArtifact({ task: "generate", outDir: oldDir, name: "stories", version: OLD });
  server = await spawnServerProcess({ repoRoot, modelsDir, logFile: join(work, "server.log"), readyTimeoutMs: 120_000, env: { API_KEYS: API_KEY, ADMIN_KEYS: ADMIN_KEY, LOG_LEVEL: "info" } });
});

after(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

function pipeline(extra: string[], viaNpm = false): Promise<{ code: number | null; stdout: string; stderr: string; result: PipelineResult }> {
  const args = [
    "--preset", "tiny", "--data", data, "--steps", "4", "--run-dir", runDir,
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

/** What /models lists, as id@version (default marked with *). */
async function served(): Promise<string[]> {
  const res = await fetch(`${server.url}/models`, { headers: { authorization: `Bearer ${API_KEY}` } });
  const body = (await res.json()) as { models: { id: string; version: string; default: boolean }[] };
  return body.models.map((m) => `${m.id}@${m.version}${m.default ? "*" : ""}`);
}

/** Who answers a /generate request naming no model. */
async function generateVersion(seed: number): Promise<string> {
  const res = await fetch(`${server.url}/generate`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` }, body: JSON.stringify({ n: 1, steps: 4, seed }) });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const m = (JSON.parse(text) as { model: { id: string; version: string } }).model;
  return `${m.id}@${m.version}`;
}

const modelFolders = () => readdirSync(modelsDir).sort();
const versionFolders = () => readdirSync(join(modelsDir, "stories")).sort();
const state = () => JSON.parse(readFileSync(join(runDir, "pipeline.json"), "utf8")) as PipelineState;

test("a candidate under a new model id is judged against the model serving its task, and refused: nothing changes", async (t) => {
  // The served model's recorded Div is out of reach: exactly the real texts' recorded value, so any
  // candidate is farther from it (Div is judged by its distance to real text's).
  await recordServedScores({ "unconditional.div.div": 1.5, "unconditional.referenceTexts.div": 1.5, "unconditional.mem.mem": 0.9 });
  const newRun = join(work, "run-new-id");
  const r = await pipeline(["--model", "stories-v2", "--run-dir", newRun, ...LOW_FLOORS, "--floor", "decodable=off"]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.result.outcome, "gate-failed");
  assert.equal(r.result.model, "stories-v2");
  assert.deepEqual(r.result.previous, { id: "stories", version: OLD }, "the served model of the task, whatever its id");
  const gate = readFileSync(join(newRun, "gate.md"), "utf8");
  t.diagnostic(gate);
  assert.match(gate, /Compared with stories@2026\.11\.1 \(scores recorded in its manifest, same evaluation settings\)/);
  assert.match(gate, /\| unconditional\.div\.div \| closer to real text's 1\.5 is better \| 1\.5 \| [\d.]+ \| WORSE/);
  assert.match(r.stderr, /stories-v2 is a new model id: judged against stories@2026\.11\.1/);
  assert.match(r.stderr, /gate failed .*refused: vs stories@2026\.11\.1: unconditional\.div\.div/);
  assert.deepEqual(modelFolders(), ["stories"], "nothing was installed");
  assert.deepEqual(await served(), [`stories@${OLD}*`]);
  assert.equal(await generateVersion(1), `stories@${OLD}`);
});

test("a failure after promotion rolls back: the new version is removed and the old one serves again", async () => {
  // No recorded scores: the gate evaluates the served version now, with the candidate's settings.
  await recordServedScores(null);
  const r = await pipeline(["--fail-stage", "smoke", ...FROM_SERVED(), ...LOW_FLOORS]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.result.outcome, "rolled-back", r.stderr);
  assert.equal(r.result.model, "stories", "without --model: the id serving the task");
  assert.match(r.stderr, /\[1\/9\] train done in [\d.]+ s: 4 steps/);
  assert.match(r.stderr, /stories@2026\.11\.1: no recorded scores; evaluating it now with the candidate's settings/);
  assert.match(readFileSync(join(runDir, "gate.md"), "utf8"), /Compared with stories@2026\.11\.1 \(evaluated now with the candidate's settings/);
  assert.equal((JSON.parse(readFileSync(join(runDir, "served-eval", `stories@${OLD}`, "result.json"), "utf8")) as { artifact: { id: string } }).artifact.id, "stories");
  assert.match(r.stderr, /\[5\/9\] gate done .*vs stories@2026\.11\.1: passed/);
  assert.match(r.stderr, /\[7\/9\] reload done .*stories@2026\.11\.2 after reload/);
  assert.match(r.stderr, /\[8\/9\] smoke failed .*forced failure .*stories@2026\.11\.2 answered requests naming no model: 4 texts/);
  assert.match(r.stderr, /\[9\/9\] rollback done .*stories@2026\.11\.1 serving again/);
  assert.deepEqual(versionFolders(), [OLD]);
  assert.deepEqual(await served(), [`stories@${OLD}*`]);
  assert.equal(await generateVersion(2), `stories@${OLD}`);
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
  const trained = statSync(join(runDir, "train", "summary.json")).mtimeMs;
  let r;
  try {
    r = await pipeline(LOW_FLOORS, true);
  } finally {
    // A few more requests after the swap, then stop.
    const n = seen.length;
    while (seen.length < n + 4 && failures.length === 0) await new Promise((res) => setTimeout(res, 50));
    stop = true;
    await loop;
  }
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.result.outcome, "kept");
  assert.equal(statSync(join(runDir, "train", "summary.json")).mtimeMs, trained, "finished stages are skipped on a re-run");
  assert.match(r.stderr, /\[1\/9\] train done earlier, skipped/);
  t.diagnostic(`load loop: ${seen.length} requests, ${seen.filter((v) => v === OLD).length} by ${OLD}, ${seen.filter((v) => v === NEW).length} by ${NEW}, ${failures.length} failed`);
  assert.deepEqual(failures, [], "no request failed during the swap");
  assert.ok(seen.includes(OLD) && seen.at(-1) === NEW, `the loop ran across the swap (${seen.length} requests: ${seen[0]} … ${seen.at(-1)})`);
  assert.deepEqual(await served(), [`stories@${NEW}*`]);
  assert.equal(await generateVersion(3), `stories@${NEW}`);
  assert.deepEqual(versionFolders(), [OLD, NEW]);
  const manifest = parseManifest(JSON.parse(readFileSync(join(modelsDir, "stories", NEW, "manifest.json"), "utf8")));
  assert.equal(typeof manifest.evaluation?.["unconditional.div.div"], "number", "the new version carries its scores for the next gate");
  assert.equal(manifest.evaluation?.["eval.reflm"], "none");
  assert.ok(readdirSync(join(modelsDir, "stories"), { withFileTypes: true }).every((e) => !e.name.startsWith(".")), "no temporary folder left");
  assert.match(r.stderr, /\[8\/9\] smoke done .*stories@2026\.11\.2 answered requests naming no model/);
  assert.match(r.stderr, /\[9\/9\] rollback skipped/);
  // A re-run of a finished pipeline changes nothing.
  const again = await pipeline(LOW_FLOORS);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((again.stderr.match(/done earlier, skipped/g) ?? []).length, 8);
  assert.deepEqual(versionFolders(), [OLD, NEW]);
  assert.deepEqual(await served(), [`stories@${NEW}*`]);
});
