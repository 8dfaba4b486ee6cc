// Writes a complete artifact folder (ARCHITECTURE.md "Artifact") from a ModelConfig, a weight map, the
// normalization state and the compact vocabulary: the graphs a task needs, their external data, and
// manifest.json last — all into a temporary sibling that is renamed into place when complete.
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { FIRST_BPE_ID, writeDirAtomic, writeManifest } from "@ldtext/core";
import type { GraphEntry, GraphRole, Manifest, ModelConfig, TensorSpec, TrainingRecord, Vocabulary } from "@ldtext/core";
import type { NormState, WeightMap } from "@ldtext/core";
import type { GraphBuilder } from "../onnx/graph.ts";
import type { ValueInfoMessage } from "../onnx/proto.ts";
import { DataType } from "../onnx/proto.ts";
import { buildArDecoder, buildArMemory, buildArStep, buildCondEncoder, buildDecoder, buildDenoiser, buildEncoder, graphsForTask } from "../networks/graphs.ts";
import type { GraphName } from "../networks/graphs.ts";
import { checkWeights, gaussian, randomWeights } from "../networks/weights.ts";
import { buildManifest } from "./manifest.ts";
import { quantizeArtifact } from "../quantize/artifact.ts";


export const GRAPH_FILES: Record<GraphRole, string> = {
  encoder: "encoder.onnx",
  denoiser: "denoiser.onnx",
  decoder: "decoder.onnx",
  cond_encoder: "cond_encoder.onnx",
  denoiser_int8: "denoiser.int8.onnx",
  ar_decoder: "ar_decoder.onnx",
  ar_memory: "ar_memory.onnx",
  ar_step: "ar_step.onnx",
};

/** Where and how an artifact folder is written: shared by every way of making one. */
export interface ArtifactOutputOptions {
  outDir: string;
  /** Served defaults (manifest `sampling`), e.g. the evaluated guidance weight (export --guidance). */
  sampling?: { guidance?: number; clamp?: number; candidates?: number };
  /** Manifest id (lower-case letters, digits, '.', '_', '-'). */
  name?: string;
  version?: string;
  /**
   * Graphs to write (default: every graph of the model, with ArDec's KV-cached pair ar_memory +
   * ar_step when the config has arDec; the encoder is needed only for evaluation/parity). The
   * uncached ar_decoder is written only when named here.
   */
  graphs?: readonly GraphName[];
  /** Also write `denoiser.int8.onnx` with DynamicQuantizeMatMul block matmuls. */
  quantize?: "int8";
  /** Store weight matrices as float16 (the runtime computes in float32 after a Cast). */
  fp16?: boolean;
  /** Replace an existing folder at outDir (default: refuse). */
  replace?: boolean;
}

export interface WriteArtifactOptions extends ArtifactOutputOptions {
  config: ModelConfig;
  weights: WeightMap;
  vocabulary: Vocabulary;
  norm: NormState;
  /** How the weights were trained (the manifest requires it). */
  training: TrainingRecord;
  evaluation?: Record<string, number | string>;
  samples?: string[];
}

export interface WrittenArtifact {
  dir: string;
  manifest: Manifest;
}

export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function tensorSpec(v: ValueInfoMessage): TensorSpec {
  return { name: v.name, dtype: v.elemType === DataType.INT64 ? "int64" : "float32", shape: [...v.shape] };
}

function build(role: GraphRole, o: WriteArtifactOptions): GraphBuilder {
  switch (role) {
    case "encoder":
      return buildEncoder(o.config, o.weights, o.norm);
    case "denoiser":
      return buildDenoiser(o.config, o.weights);
    case "denoiser_int8":
      throw new Error("denoiser_int8 is added by quantizeArtifact");
    case "decoder":
      return buildDecoder(o.config, o.weights);
    case "cond_encoder":
      return buildCondEncoder(o.config, o.weights);
    case "ar_decoder":
      return buildArDecoder(o.config, o.weights);
    case "ar_memory":
      return buildArMemory(o.config, o.weights);
    case "ar_step":
      return buildArStep(o.config, o.weights);
  }
}

/**
 * Writes the artifact folder atomically (core's writeDirAtomic: built in a hidden sibling, fsynced,
 * renamed into place; manifest.json validated by core's schema and written last) and returns its manifest.
 */
export async function writeArtifact(o: WriteArtifactOptions): Promise<WrittenArtifact> {
  checkWeights(o.config, o.weights);
  const vocabIds = FIRST_BPE_ID + o.vocabulary.bpeIds.length;
  if (vocabIds !== o.config.vocabSize) throw new Error(`the vocabulary has ${vocabIds} ids but the model config says vocabSize ${o.config.vocabSize}`);
  const taskGraphs = graphsForTask(o.config);
  const chosen = o.graphs ?? taskGraphs;
  for (const g of chosen) {
    if (g.startsWith("ar_") && !o.config.arDec) throw new Error(`graph ${g} needs a model with ArDec (config.arDec)`);
    if (!taskGraphs.includes(g) && g !== "ar_decoder") throw new Error(`graph ${g} does not belong to a ${o.config.task} model`);
  }
  if (chosen.includes("ar_memory") !== chosen.includes("ar_step")) throw new Error("graphs ar_memory and ar_step are written together (ArDec's KV-cached decode needs both)");
  for (const needed of ["denoiser", "decoder"] as const) if (!chosen.includes(needed)) throw new Error(`an artifact needs the ${needed} graph`);
  if (o.config.task === "summarize" && !chosen.includes("cond_encoder")) throw new Error("a summarize artifact needs the cond_encoder graph");
  const roles: GraphRole[] = [...chosen];

  const dir = resolve(o.outDir);
  let manifest: Manifest | undefined;
  await writeDirAtomic(
    dir,
    async (tmp) => {
      const graphs: Partial<Record<GraphRole, GraphEntry>> = {};
      for (const role of roles) {
        const g = build(role, o);
        const file = GRAPH_FILES[role];
        const dataFile = `${file}.data`;
        // fp16 storage applies to float matrices only: int8 weights stay int8.
        const { model, data } = g.serialize({ externalData: { location: dataFile }, fp16Weights: o.fp16 === true });
        writeFileSync(join(tmp, file), model);
        const entry: GraphEntry = {
          file,
          sha256: sha256(model),
          bytes: model.length,
          dtype: role === "denoiser_int8" ? "int8" : o.fp16 ? "fp16" : "fp32",
          inputs: g.inputs.map(tensorSpec),
          outputs: g.outputs.map(tensorSpec),
        };
        if (data.length > 0) {
          writeFileSync(join(tmp, dataFile), data);
          entry.externalData = { file: dataFile, sha256: sha256(data), bytes: data.length };
        }
        graphs[role] = entry;
      }
      manifest = buildManifest({
        id: o.name ?? `${o.config.task}-model`,
        version: o.version ?? "0.0.0",
        config: o.config,
        vocabulary: o.vocabulary,
        norm: o.norm,
        graphs,
        training: o.training,
        evaluation: o.evaluation,
        samples: o.samples,
        ...(o.sampling ? { sampling: o.sampling } : {}),
      });
      await writeManifest(tmp, manifest); // validates against core's ManifestSchema, throws before the rename
    },
    { replace: o.replace === true },
  );
  // The int8 denoiser is built from the stored float weights and measured with its parity check
  // (which samples through the finished artifact), so it is added after the folder is in place.
  if (o.quantize === "int8") manifest = (await quantizeArtifact(dir, { force: true })).manifest;
  return { dir, manifest: manifest! };
}

export interface RandomArtifactOptions extends ArtifactOutputOptions {
  config: ModelConfig;
  vocabulary: Vocabulary;
  seed: number;
}

/**
 * An untrained but complete artifact (random, properly scaled weights; plausible data-norm statistics):
 * what the server's tests load when they need real graphs and no training.
 */
export function writeRandomArtifact(o: RandomArtifactOptions): Promise<WrittenArtifact> {
  const weights = randomWeights(o.config, o.seed);
  const rnd = gaussian(o.seed ^ 0x5eed);
  const mean = Array.from({ length: o.config.latentDim }, () => 0.1 * rnd());
  const norm: NormState =
    o.config.norm === "data" || o.config.norm === "batch"
      ? { kind: o.config.norm, mean, sq: mean.map((m) => m * m + 1 + 0.1 * rnd()) }
      : { kind: o.config.norm };
  return writeArtifact({
    ...o,
    weights,
    norm,
    name: o.name ?? `random-${o.config.task}`,
    version: o.version ?? `0.0.0-seed${o.seed}`,
    training: { command: `writeRandomArtifact (untrained, seed ${o.seed})`, seconds: 0, steps: 0, finalLosses: {} },
  });
}
