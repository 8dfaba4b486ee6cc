// The training checkpoint format, written by training and read by training (resume, --init-from),
// export and evaluation: one definition here, beside the artifact manifest.
// Checkpoint folder `<out>/checkpoint/` (keep stable: runs on disk are resumed and exported):
//   checkpoint.json  { format, version, modelConfig, vocabulary, trainConfig, step, norm, losses,
//                      extra, index: [{ name, shape, offset }], blobs }
//                      (checkpoints written before also hold top-level `rng` and `data`: copies of
//                      the trainer's `extra.trainer.rng` / `.data`, never read; they are ignored)
//   weights.bin, ema.bin, adam_m.bin, adam_v.bin   float32 little-endian blobs; every blob holds the
//                      tensors of `index` in that order, `offset` in bytes (same for all four).
// The folder is written atomically (core's writeDirAtomic: built beside it, then swapped in). A
// crash in the instant of the swap can leave only the previous folder under a hidden `.old` name;
// `findCheckpoint` falls back to it.
import { readFile, readdir, stat } from "node:fs/promises";
import { dirname, join, basename } from "node:path";
import { writeFile } from "node:fs/promises";
import { type ModelConfig, ModelConfigSchema, type NormKind } from "./config.ts";
import type { Vocabulary } from "./tokenizer.ts";
import { writeDirAtomic } from "./atomic.ts";
import type { FloatWeights } from "./weights.ts";
import { type NormState, normStateJson, normStateOf } from "./norm-state.ts";

export const CHECKPOINT_FORMAT = "ldtext-checkpoint";
export const CHECKPOINT_VERSION = 1;
const BLOBS = { weights: "weights.bin", ema: "ema.bin", adamM: "adam_m.bin", adamV: "adam_v.bin" } as const;

export interface TensorIndexEntry {
  name: string;
  shape: number[];
  /** Byte offset in each blob. */
  offset: number;
}

export interface CheckpointData {
  modelConfig: ModelConfig;
  vocabulary: Vocabulary;
  /** The training configuration (CLI options) that produced it. */
  trainConfig: Record<string, unknown>;
  step: number;
  weights: FloatWeights;
  ema?: FloatWeights;
  adamM?: FloatWeights;
  adamV?: FloatWeights;
  norm: NormState;
  /** The latest training and validation records (`train`, `val`): export's training record, --init-from's prior seconds and FLOPs. */
  losses?: Record<string, unknown>;
  /**
   * Writer-specific, JSON-safe: the trainer keeps its exact-resume state in `trainer` (RNG, data
   * position, adaptive timestep bins; training's resume-state.ts) and the TF.js backend that ran in
   * `backend` (a resume on another backend is told it will not be bit-identical).
   */
  extra?: Record<string, unknown>;
}

interface CheckpointJson {
  format: string;
  version: number;
  modelConfig: unknown;
  vocabulary: Vocabulary;
  trainConfig: Record<string, unknown>;
  step: number;
  norm: { kind: NormKind; mean?: number[]; sq?: number[] };
  losses?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  index: TensorIndexEntry[];
  blobs: string[];
}

function packBlob(index: TensorIndexEntry[], weights: FloatWeights): Buffer {
  const last = index[index.length - 1];
  const total = last ? last.offset + 4 * last.shape.reduce((a, b) => a * b, 1) : 0;
  const buf = Buffer.alloc(total);
  const f32 = new Float32Array(buf.buffer, buf.byteOffset, total / 4);
  for (const e of index) {
    const w = weights.get(e.name);
    if (!w) throw new Error(`checkpoint: tensor "${e.name}" missing`);
    f32.set(w.data, e.offset / 4);
  }
  return buf;
}

function unpackBlob(index: TensorIndexEntry[], buf: Buffer, file: string): FloatWeights {
  const out: FloatWeights = new Map();
  for (const e of index) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset + 4 * n > buf.length) throw new Error(`${file}: tensor "${e.name}" lies past the end of the blob (${buf.length} bytes)`);
    // Copy: the Buffer's backing store may be shared and unaligned.
    out.set(e.name, { shape: [...e.shape], data: new Float32Array(buf.buffer.slice(buf.byteOffset + e.offset, buf.byteOffset + e.offset + 4 * n)) });
  }
  return out;
}

/** Write `<dir>` (e.g. `<out>/checkpoint`) atomically, replacing a previous one. */
export async function saveCheckpoint(dir: string, c: CheckpointData): Promise<void> {
  const index: TensorIndexEntry[] = [];
  let offset = 0;
  for (const [name, w] of c.weights) {
    index.push({ name, shape: [...w.shape], offset });
    offset += 4 * w.data.length;
  }
  const blobs: string[] = [BLOBS.weights];
  if (c.ema) blobs.push(BLOBS.ema);
  if (c.adamM) blobs.push(BLOBS.adamM);
  if (c.adamV) blobs.push(BLOBS.adamV);
  const json: CheckpointJson = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    modelConfig: c.modelConfig,
    vocabulary: c.vocabulary,
    trainConfig: c.trainConfig,
    step: c.step,
    norm: normStateJson(c.norm),
    ...(c.losses ? { losses: c.losses } : {}),
    ...(c.extra ? { extra: c.extra } : {}),
    index,
    blobs,
  };
  await writeDirAtomic(
    dir,
    async (tmp) => {
      await writeFile(join(tmp, BLOBS.weights), packBlob(index, c.weights));
      if (c.ema) await writeFile(join(tmp, BLOBS.ema), packBlob(index, c.ema));
      if (c.adamM) await writeFile(join(tmp, BLOBS.adamM), packBlob(index, c.adamM));
      if (c.adamV) await writeFile(join(tmp, BLOBS.adamV), packBlob(index, c.adamV));
      // The JSON last: a folder with it is complete.
      await writeFile(join(tmp, "checkpoint.json"), JSON.stringify(json, null, 1));
    },
    { replace: true },
  );
}

/**
 * The checkpoint folder to read for `dir`: `dir` itself when it holds checkpoint.json, else
 * `dir/checkpoint`, else (a crash during the swap) the newest hidden `.checkpoint.old-*` sibling.
 */
export async function findCheckpoint(dir: string): Promise<string> {
  const has = (d: string) => stat(join(d, "checkpoint.json")).then(() => true, () => false);
  if (await has(dir)) return dir;
  if (await has(join(dir, "checkpoint"))) return join(dir, "checkpoint");
  for (const base of [dir, join(dir, "checkpoint")]) {
    const parent = dirname(base);
    const name = basename(base);
    const entries = await readdir(parent).catch(() => [] as string[]);
    const olds = entries.filter((e) => e.startsWith(`.${name}.old-`));
    for (const o of olds) if (await has(join(parent, o))) return join(parent, o);
  }
  throw new Error(`no checkpoint in ${dir} (expected ${join(dir, "checkpoint", "checkpoint.json")})`);
}

export interface LoadedCheckpoint extends CheckpointData {
  dir: string;
}

/**
 * Read a checkpoint folder (or an `--out` folder holding `checkpoint/`). The exporter's entry point:
 * `weights` / `ema` are name → { shape, data } in MODEL-SPEC names; `norm` holds the statistics.
 */
export async function loadCheckpoint(dirOrOut: string): Promise<LoadedCheckpoint> {
  const dir = await findCheckpoint(dirOrOut);
  const raw = JSON.parse(await readFile(join(dir, "checkpoint.json"), "utf8")) as CheckpointJson;
  if (raw.format !== CHECKPOINT_FORMAT) throw new Error(`${dir}/checkpoint.json: not an ${CHECKPOINT_FORMAT} file`);
  if (raw.version !== CHECKPOINT_VERSION) throw new Error(`${dir}/checkpoint.json: version ${raw.version}, this code reads ${CHECKPOINT_VERSION}`);
  const modelConfig = ModelConfigSchema.parse(raw.modelConfig);
  const read = async (file: string) => (raw.blobs.includes(file) ? unpackBlob(raw.index, await readFile(join(dir, file)), join(dir, file)) : undefined);
  const weights = await read(BLOBS.weights);
  if (!weights) throw new Error(`${dir}: no ${BLOBS.weights}`);
  const ema = await read(BLOBS.ema);
  const adamM = await read(BLOBS.adamM);
  const adamV = await read(BLOBS.adamV);
  const norm = normStateOf(raw.norm);
  return {
    dir,
    modelConfig,
    vocabulary: raw.vocabulary,
    trainConfig: raw.trainConfig,
    step: raw.step,
    weights,
    ...(ema ? { ema } : {}),
    ...(adamM ? { adamM } : {}),
    ...(adamV ? { adamV } : {}),
    norm,
    ...(raw.losses ? { losses: raw.losses } : {}),
    ...(raw.extra ? { extra: raw.extra } : {}),
  };
}
