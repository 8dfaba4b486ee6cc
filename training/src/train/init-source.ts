// What `--init-from` reads: a training checkpoint, or a shipped artifact folder (manifest.json +
// ONNX graphs). From an artifact the weights are the float graphs' initializers (the EMA weights the
// exporter wrote, fp16 storage widened to float32), the normalization statistics and vocabulary come
// from the manifest, and the training seconds behind it from its training record. That is what lets
// a later session on a new machine continue the run behind `models/<id>/<version>`: optimizer
// moments restart (with the run's warm-up); everything the networks compute is carried over.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { InitWeights } from "./config.ts";
import { type FloatWeights, type LoadedCheckpoint, ManifestSchema, loadCheckpoint, normStateOf, readInitializers, tensorAsFloat32, weightShapes } from "@ldtext/core";

export function isArtifactDir(path: string): boolean {
  return existsSync(join(path, "manifest.json"));
}

/**
 * The weights an --init-from run starts from (--init-weights). "raw": the checkpoint's weights.
 * "ema": its EMA copy overlaid on them, as export overlays it (the EMA may hold only trainables), so
 * the run starts from what an export of that checkpoint ships. An artifact holds one set of weights,
 * the exporter's, which both choices take.
 */
export function initWeightSet(ckpt: Pick<LoadedCheckpoint, "dir" | "weights" | "ema">, which: InitWeights): FloatWeights {
  if (which === "raw" || isArtifactDir(ckpt.dir)) return ckpt.weights;
  if (!ckpt.ema || ckpt.ema.size === 0) throw new Error(`--init-weights ema: ${ckpt.dir} holds no EMA weights (use --init-weights raw)`);
  return new Map([...ckpt.weights, ...ckpt.ema]);
}

/** Training FLOPs recorded in a checkpoint or artifact (its last training record), 0 if unknown. */
export function priorTrainFlops(ckpt: Pick<LoadedCheckpoint, "losses">): number {
  const train = ckpt.losses?.train as { trainFlops?: number } | undefined;
  return train?.trainFlops ?? 0;
}

/** Training seconds recorded in a checkpoint or artifact (its last training record), 0 if unknown. */
export function priorTrainSeconds(ckpt: Pick<LoadedCheckpoint, "losses">): number {
  const train = ckpt.losses?.train as { trainSec?: number; elapsedSec?: number } | undefined;
  return train?.trainSec ?? train?.elapsedSec ?? 0;
}

/** A checkpoint (folder or `--out` folder), or an artifact folder read as one. */
export async function loadInitSource(path: string): Promise<LoadedCheckpoint> {
  return isArtifactDir(path) ? loadArtifactAsCheckpoint(path) : loadCheckpoint(path);
}

export function loadArtifactAsCheckpoint(dir: string): LoadedCheckpoint {
  const manifestPath = join(dir, "manifest.json");
  const parsed = ManifestSchema.safeParse(JSON.parse(readFileSync(manifestPath, "utf8")));
  if (!parsed.success) throw new Error(`${manifestPath}: not a valid manifest (${parsed.error.issues[0]?.message ?? "invalid"})`);
  const m = parsed.data;
  const shapes = weightShapes(m.config);
  const weights: FloatWeights = new Map();
  for (const [role, g] of Object.entries(m.graphs)) {
    if (!g || g.dtype === "int8") continue;
    for (const t of readInitializers(join(dir, g.file))) {
      const shape = shapes.get(t.name);
      if (!shape || weights.has(t.name)) continue;
      if (t.dims.join(",") !== shape.join(",")) throw new Error(`${dir}: ${role} weight ${t.name} has shape [${t.dims}], the config gives [${shape}]`);
      const data = tensorAsFloat32(t);
      if (!data) throw new Error(`${dir}: ${role} weight ${t.name} is not stored as float`);
      weights.set(t.name, { shape: [...t.dims], data: Float32Array.from(data) });
    }
  }
  const missing = [...shapes.keys()].filter((n) => !weights.has(n));
  if (missing.length > 0) {
    const nets = [...new Set(missing.map((n) => n.split(".")[0]))].join(", ");
    throw new Error(
      `${dir}: the artifact lacks ${missing.length} weights (${nets}: ${missing.slice(0, 3).join(", ")}…) — ` +
        `continuing training needs every network; export with --graphs encoder,denoiser,decoder${m.task === "summarize" ? ",cond_encoder" : ""}`,
    );
  }
  return {
    dir,
    modelConfig: m.config,
    vocabulary: m.vocabulary,
    trainConfig: { command: m.training.command },
    step: m.training.steps,
    weights,
    norm: normStateOf(m.normalization),
    losses: { train: { trainSec: m.training.seconds, ...(m.training.flops !== undefined ? { trainFlops: m.training.flops } : {}) } },
  };
}
