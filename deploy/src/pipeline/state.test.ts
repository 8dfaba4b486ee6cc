import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadState, saveState, STAGES, statePath, StateError } from "./state.ts";
import { renderStages, formatDuration } from "./progress.ts";

test("a saved run resumes with its identity; another model in the same folder is refused", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pl-state-"));
  const s = loadState(dir, { preset: "tiny", task: "generate", data: "rocstories", steps: 10 }, { version: "v1", model: "generate" });
  assert.equal(s.identity.version, "v1");
  assert.ok(STAGES.every((n) => s.stages[n].status === "pending"));
  s.stages.train = { status: "done", seconds: 3, note: "10 steps" };
  await saveState(dir, s);
  const again = loadState(dir, { preset: "tiny", task: "generate", data: "rocstories" }, { version: "v2", model: "generate" });
  assert.equal(again.identity.version, "v1", "the saved version wins over a new default");
  assert.equal(again.identity.steps, 10);
  assert.equal(again.stages.train.status, "done");
  assert.throws(() => loadState(dir, { preset: "small", task: "generate", data: "rocstories" }, { version: "v2", model: "generate" }), (e: Error) => e instanceof StateError && /--preset small \(the run has tiny\)/.test(e.message));
  assert.throws(() => loadState(dir, { preset: "tiny", task: "generate", data: "rocstories", steps: 20 }, { version: "v2", model: "generate" }), /--steps 20 \(the run has 10\)/);
  writeFileSync(statePath(dir), "{");
  assert.throws(() => loadState(dir, { preset: "tiny", task: "generate", data: "rocstories" }, { version: "v", model: "g" }), /not valid JSON/);
});

test("the stage list shows status, time and, for the running stage, progress with ETA", () => {
  const dir = mkdtempSync(join(tmpdir(), "pl-state-"));
  const s = loadState(dir, { preset: "tiny", task: "generate", data: "x" }, { version: "v", model: "g" });
  s.stages.train = { status: "done", seconds: 75, note: "200 steps" };
  s.stages.export = { status: "running" };
  const now = 1_000_000;
  const lines = renderStages(s, { stage: "export", since: now - 12_000, progress: { fraction: 0.5, etaSeconds: 12, detail: "step 1/2" } }, now);
  assert.equal(lines.length, STAGES.length);
  assert.match(lines[0], /✓ {2}1\/9 train +done +1 min 15 s {2}200 steps/);
  assert.match(lines[1], /▶ {2}2\/9 export +running +\[█{10}░{10}\] +50 % {2}12 s, ETA 12 s {2}step 1\/2/);
  assert.match(lines[2], /· +3\/9 verify +pending/);
  assert.equal(formatDuration(4.25), "4.3 s");
  assert.equal(formatDuration(3725), "1 h 02 min");
});
