// The soak and chaos run end to end, shortened for the test suite (45 s of planned load: 8 s
// calibration, 8 s at 10× concurrency, ~21 s of steady chaos with a hot reload, then SIGTERM) on
// tiny random-weight models: the real server, real ONNX Runtime, loopback only.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIRST_BPE_ID, modelConfigFromPreset, PRESETS, type Task } from "@ldtext/core";
import { placeholderVocabulary, writeRandomArtifact } from "@ldtext/export";
import type { SoakResult } from "./run.ts";

const cli = new URL("./cli.ts", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "soak-e2e-"));

before(async () => {
  const vocabSize = FIRST_BPE_ID + PRESETS.tiny.topK;
  for (const [i, task] of (["generate", "summarize"] as Task[]).entries()) {
    const config = modelConfigFromPreset("tiny", task, vocabSize);
    await writeRandomArtifact({ config, vocabulary: placeholderVocabulary(vocabSize), outDir: join(work, "models", task, "1"), seed: i + 1, name: task, version: "1" });
  }
});

after(() => {
  rmSync(work, { recursive: true, force: true });
});

test("npm run soak -- --minutes 1 passes on tiny models and prints one JSON line", { timeout: 300_000 }, () => {
  const out = join(work, "soak.json");
  const r = spawnSync(process.execPath, ["--import", "tsx", cli, "--minutes", "1", "--models", join(work, "models"), "--deadline-ms", "10000", "--queue-size", "4", "--out", out], { encoding: "utf8", timeout: 290_000 });
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 1, r.stdout);
  const res = JSON.parse(lines[0]) as SoakResult & { command: string };
  assert.equal(r.status, 0, `${res.failures?.join("; ")}\nlost: ${JSON.stringify(res.lostSamples ?? [])}\n${r.stderr.slice(-3000)}`);
  assert.equal(res.pass, true);
  assert.equal(res.fiveXX, 0);
  assert.equal(res.lost, 0);
  assert.match(res.cpu.model, /\S/);
  assert.ok((res.valid.byStatus["200"] ?? 0) > 0);
  assert.ok((res.overload.byStatus["429"] ?? 0) > 0, `the overload phase was refused in part: ${JSON.stringify(res.overload.byStatus)}`);
  assert.deepEqual(Object.keys(res.overload.byStatus).filter((k) => k !== "200" && k !== "429"), []);
  assert.equal(res.reload.ok, true);
  assert.ok(res.hostile.total > 10 && res.slowClients.total > 0 && res.slowClients.held === 0);
  assert.equal(res.shutdown.exitCode, 0);
  assert.ok(res.rssMb.start! > 0 && res.rssMb.end! > 0);
  assert.equal(readFileSync(out, "utf8").trim(), lines[0], "the same line is written to --out");
});
