// CI: train `tiny` → export → verify, for both tasks, through the real CLIs (TF.js training on a
// small corpus written by the test — tests never read ../shared —, onnxruntime-node, the TF.js
// forward as the parity reference). A few steps of training are enough: parity is about the graphs
// matching the trained networks, not about quality.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { readArtifact } from "@ldtext/core";

const root = new URL("../../", import.meta.url).pathname;

function run(script: string, args: string[]): string {
  const r = spawnSync(process.execPath, ["--import", "tsx", script, ...args], { cwd: root, encoding: "utf8", timeout: 180_000 });
  assert.equal(r.status, 0, `${script} ${args.join(" ")} failed:\n${r.stderr.slice(-3000)}`);
  return r.stdout.trim().split("\n").at(-1)!;
}

interface VerifyLine {
  ok: boolean;
  reference: string;
  graphs: Record<string, { precision: string; maxAbsErr: number; bound: number; ok: boolean }>;
}

const NAMES = ["Ana", "Ben", "Chloe", "Dmitri", "Eve", "Farid", "Gita", "Hugo"];
const THINGS = ["a bicycle", "the old piano", "a red kite", "her garden", "the museum", "a long letter"];

/** A folder of `train.jsonl` / `validation.jsonl` with `{text}` lines, or `{document, summary}` pairs. */
function writeCorpus(dir: string, pairs: boolean): string {
  mkdirSync(dir, { recursive: true });
  for (const [split, n] of [["train", 64], ["validation", 16]] as const) {
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      const who = NAMES[i % NAMES.length];
      const what = THINGS[(i * 5) % THINGS.length];
      const summary = `${who} found ${what} on day ${i}.`;
      const document = `${summary} It was raining in town. ${who} told a friend about ${what}, and they laughed for ${i % 7} minutes.`;
      lines.push(JSON.stringify(pairs ? { document, summary, id: `${split}-${i}` } : { text: document }));
    }
    writeFileSync(join(dir, `${split}.jsonl`), lines.join("\n") + "\n");
  }
  return dir;
}

describe("train tiny → export → verify", () => {
  for (const [task, graphs] of [
    ["generate", ["decoder", "denoiser", "denoiser_int8", "encoder"]],
    ["summarize", ["cond_encoder", "decoder", "denoiser", "denoiser_int8", "encoder"]],
  ] as const) {
    test(`${task}: every fp32 graph matches the TF.js networks within 1e-4`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `ldtext-pipeline-${task}-`));
      const data = writeCorpus(join(dir, "data"), task === "summarize");
      const runDir = join(dir, "run");
      const artifact = join(dir, "artifact");
      run("training/src/cli/train.ts", ["--task", task, "--data", data, "--preset", "tiny", "--steps", "6", "--val-every", "6", "--val-examples", "8", "--max-train", "64", "--out", runDir, "--no-progress"]);
      const exported = JSON.parse(run("export/src/cli/export.ts", ["--checkpoint", runDir, "--out", artifact, "--name", `ci-${task}`, "--version", "0.0.1", "--quantize", "int8"])) as { weights: string };
      assert.equal(exported.weights, "ema");

      const m = await readArtifact(artifact);
      assert.equal(m.task, task);
      assert.equal(m.training.steps, 6);
      assert.ok(m.training.command.startsWith(`npm run train -- --task ${task} --data ${data} --preset tiny`), m.training.command);
      assert.ok(Number.isFinite(m.training.finalLosses["train.dif"]));

      const v = JSON.parse(run("export/src/cli/verify.ts", [artifact])) as VerifyLine;
      assert.equal(v.ok, true);
      assert.equal(v.reference, "tfjs");
      assert.deepEqual(Object.keys(v.graphs).sort(), graphs);
      for (const [name, g] of Object.entries(v.graphs)) {
        if (g.precision === "fp32") assert.ok(g.maxAbsErr <= 1e-4, `${name}: ${g.maxAbsErr}`);
        else assert.ok(g.ok, `${name}: ${g.maxAbsErr} > ${g.bound}`);
      }
    });
  }
});
