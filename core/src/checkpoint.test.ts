// The checkpoint format: what saveCheckpoint writes, loadCheckpoint reads back exactly; a folder left
// under its hidden `.old` name by a crash during the swap is still found; and checkpoint.json files
// written by earlier versions still load (without condMaxLen; with the top-level rng/data copies).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_COND_MAX_LEN } from "./config.ts";
import { modelConfigFromPreset } from "./presets.ts";
import { CHECKPOINT_FORMAT, loadCheckpoint, saveCheckpoint, type CheckpointData } from "./checkpoint.ts";
import { weightShapes, type FloatWeights } from "./weights.ts";
import type { Vocabulary } from "./tokenizer.ts";

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "ldtext-checkpoint-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const vocabulary: Vocabulary = { kind: "compact-bpe", version: 1, base: "gpt2", specials: { pad: 0, bos: 1, eos: 2 }, byteOffset: 3, bpeIds: [], tokenBytes: [] };

function weightsOf(cfg: Parameters<typeof weightShapes>[0], offset: number): FloatWeights {
  const out: FloatWeights = new Map();
  let k = 0;
  for (const [name, shape] of weightShapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    out.set(name, { shape, data: Float32Array.from({ length: n }, (_, i) => Math.sin(offset + k + i)) });
    k++;
  }
  return out;
}

function checkpoint(): CheckpointData {
  const cfg = modelConfigFromPreset("tiny", "summarize", 259);
  return {
    modelConfig: cfg,
    vocabulary,
    trainConfig: { preset: "tiny", config: 3 },
    step: 12,
    weights: weightsOf(cfg, 0),
    ema: weightsOf(cfg, 1),
    adamM: weightsOf(cfg, 2),
    adamV: weightsOf(cfg, 3),
    norm: { kind: "data", mean: Float32Array.from({ length: cfg.latentDim }, (_, i) => i / 7), sq: Float32Array.from({ length: cfg.latentDim }, (_, i) => 1 + i / 3) },
    losses: { train: { dif: 0.5, trainSec: 3 } },
    extra: { trainer: { note: "opaque to the format" } },
  };
}

test("saveCheckpoint → loadCheckpoint gives back every field and tensor", async () => {
  const c = checkpoint();
  const out = join(root, "run");
  await saveCheckpoint(join(out, "checkpoint"), c);
  const back = await loadCheckpoint(out);
  assert.equal(back.dir, join(out, "checkpoint"));
  const { dir: _dir, ...rest } = back;
  assert.deepEqual(rest, c);
});

test("a checkpoint left only under its hidden .old name (crash in the swap) is still found", async () => {
  const out = join(root, "crashed");
  await saveCheckpoint(join(out, "checkpoint"), checkpoint());
  await rename(join(out, "checkpoint"), join(out, ".checkpoint.old-123"));
  assert.equal((await loadCheckpoint(out)).step, 12);
});

test("a summarizer's checkpoint.json without condMaxLen loads with the default S; another format is refused", async () => {
  const dir = join(root, "old", "checkpoint");
  await saveCheckpoint(dir, checkpoint());
  const json = JSON.parse(await readFile(join(dir, "checkpoint.json"), "utf8")) as { modelConfig: Record<string, unknown>; format: string };
  delete json.modelConfig.condMaxLen;
  await writeFile(join(dir, "checkpoint.json"), JSON.stringify(json));
  const back = await loadCheckpoint(dir);
  assert.equal(back.modelConfig.task === "summarize" && back.modelConfig.condMaxLen, DEFAULT_COND_MAX_LEN);
  await writeFile(join(dir, "checkpoint.json"), JSON.stringify({ ...json, format: "something-else" }));
  await assert.rejects(loadCheckpoint(dir), new RegExp(`not an ${CHECKPOINT_FORMAT} file`));
});

test("a checkpoint.json with the top-level rng and data of earlier versions loads the same; they are no longer written", async () => {
  const dir = join(root, "legacy", "checkpoint");
  await saveCheckpoint(dir, checkpoint());
  const json = JSON.parse(await readFile(join(dir, "checkpoint.json"), "utf8")) as Record<string, unknown>;
  assert.equal("rng" in json || "data" in json, false);
  const before = await loadCheckpoint(dir);
  await writeFile(join(dir, "checkpoint.json"), JSON.stringify({ ...json, rng: { seed: 0, drawn: 5 }, data: { epoch: 0, index: 3 } }));
  assert.deepEqual(await loadCheckpoint(dir), before);
});
