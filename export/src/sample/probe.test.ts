// The fixed-SNR probe through ONNX Runtime (what `npm run eval` reports) against the same probe on
// the TF.js networks (what every training validation logs): same texts, same ε, same weights (the
// artifact's), so the numbers must agree — a later session's artifact continues its run's curves.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { CompactTokenizer } from "@ldtext/core";
import { JointObjective, LatentDiffusionModel, loadArtifactAsCheckpoint, probeFixedSnr, tokenizeSplit } from "@ldtext/training";
import { probeArtifactSnr } from "./probe.ts";

const root = new URL("../../../", import.meta.url).pathname;

function ok(script: string, args: string[]): void {
  const r = spawnSync(process.execPath, ["--import", "tsx", script, ...args], { cwd: root, encoding: "utf8", timeout: 240_000 });
  assert.equal(r.status, 0, `${script} ${args.join(" ")} failed:\n${r.stderr.slice(-3000)}`);
}

test("fixed-SNR probe: ONNX Runtime on the artifact agrees with the TF.js networks, and its error grows with the noise", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ldtext-probe-"));
  const data = join(dir, "data");
  mkdirSync(data);
  const who = ["Tom", "Anna", "Bob", "Lisa", "Max", "Sara"];
  const did = ["went to the store", "ate an apple", "played football", "read a book", "called a friend", "baked a cake"];
  const text = (i: number) => `${who[i % 6]} ${did[(i * 5) % 6]}. It was fun.`;
  for (const [split, n] of [["train", 240], ["validation", 16]] as const) {
    writeFileSync(join(data, `${split}.jsonl`), `${Array.from({ length: n }, (_, i) => JSON.stringify({ text: text(i) })).join("\n")}\n`);
  }
  const run = join(dir, "run");
  ok("training/src/cli/train.ts", ["--data", data, "--preset", "tiny", "--config", "1", "--norm", "sphere", "--steps", "150", "--val-every", "150", "--val-examples", "16", "--samples", "0", "--no-progress", "--backend", "wasm", "--out", run, "--ema-decay", "0.9"]);
  const artifact = join(dir, "artifact");
  ok("export/src/cli/export.ts", ["--checkpoint", run, "--out", artifact, "--name", "ci-probe", "--version", "0.0.1", "--no-verify"]);

  const texts = Array.from({ length: 40 }, (_, i) => text(i + 3));
  const onnx = await probeArtifactSnr({ artifactDir: artifact, texts, seed: 3, batchSize: 16 });

  const ck = loadArtifactAsCheckpoint(artifact);
  const model = new LatentDiffusionModel(ck.modelConfig, ck.weights);
  model.norm.load(ck.norm);
  const tok = CompactTokenizer.fromJSON(ck.vocabulary);
  const split = tokenizeSplit(tok, texts.map((t) => ({ text: t })), ck.modelConfig.maxLen);
  tok.free();
  const tfjs = probeFixedSnr(model, new JointObjective(model), model.norm, split, { batch: 16, seed: 3 });
  model.dispose();

  assert.deepEqual(onnx.map((p) => p.snr), [2, 0.5, 0.12, 0.05]);
  for (let k = 0; k < onnx.length; k++) {
    assert.ok(Math.abs(onnx[k].t - tfjs[k].t) < 1e-12);
    assert.ok(Math.abs(onnx[k].dif - tfjs[k].dif) <= 1e-4 * Math.max(1, tfjs[k].dif), `SNR ${onnx[k].snr}: L_dif ${onnx[k].dif} (ONNX) vs ${tfjs[k].dif} (TF.js)`);
    // argmax ties may flip on float differences: allow one token in a hundred
    assert.ok(Math.abs(onnx[k].acc - tfjs[k].acc) <= 0.01 && Math.abs(onnx[k].accSc - tfjs[k].accSc) <= 0.01, `SNR ${onnx[k].snr}: ${JSON.stringify(onnx[k])} vs ${JSON.stringify(tfjs[k])}`);
  }
  // A denoiser that learned anything errs less at SNR 2 than at 0.05 (the tiny model's decoder still
  // reads most latents as the corpus's common tokens, so its accuracies barely differ).
  assert.ok(onnx[0].dif < 0.8 * onnx[3].dif, `L_dif does not fall with the noise: ${onnx.map((p) => p.dif.toFixed(3)).join(", ")}`);
  // The same run exported as a serving artifact without its encoder cannot be probed, and says so.
  const noEncoder = join(dir, "no-encoder");
  ok("export/src/cli/export.ts", ["--checkpoint", run, "--out", noEncoder, "--name", "ci-probe", "--version", "0.0.2", "--graphs", "denoiser,decoder", "--no-verify"]);
  await assert.rejects(probeArtifactSnr({ artifactDir: noEncoder, texts }), /no encoder graph/);
});
