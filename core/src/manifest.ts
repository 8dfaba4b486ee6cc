// The model artifact: a folder with `manifest.json` and the ONNX graphs it lists (ARCHITECTURE.md,
// "Artifact"). The manifest is validated with zod; reading verifies every listed file's size and
// sha256 (streamed), so the server can refuse a corrupt or tampered artifact with an error that
// names the file and says what is wrong. Writing is atomic.
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { z } from "zod";
import { type ModelConfig, ModelConfigSchema, NormKindSchema, TaskSchema } from "./config.ts";
import { VocabularySchema, FIRST_BPE_ID } from "./tokenizer.ts";
import { writeFileAtomic } from "./atomic.ts";

export const MANIFEST_FILE = "manifest.json";
export const MANIFEST_SCHEMA_VERSION = 1;

export const GraphRoleSchema = z.enum(["encoder", "denoiser", "denoiser_int8", "decoder", "cond_encoder", "ar_decoder", "ar_memory", "ar_step"]);
export type GraphRole = z.infer<typeof GraphRoleSchema>;

/** A plain file name inside the artifact folder (no paths, no hidden files). */
const FileNameSchema = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*$/, "must be a plain file name inside the artifact folder");

export const FileRefSchema = z.object({
  file: FileNameSchema,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex digits"),
  bytes: z.number().int().nonnegative(),
});
export type FileRef = z.infer<typeof FileRefSchema>;

export const TensorSpecSchema = z.object({
  name: z.string().min(1),
  dtype: z.enum(["float32", "float16", "int64", "int32", "int8", "uint8", "bool"]),
  /** Dimensions: numbers for fixed sizes, names ("B", "L", "S") for dynamic ones. */
  shape: z.array(z.union([z.number().int().nonnegative(), z.string().min(1)])),
});
export type TensorSpec = z.infer<typeof TensorSpecSchema>;

export const GraphEntrySchema = FileRefSchema.extend({
  /** Storage type of the weights. */
  dtype: z.enum(["fp32", "fp16", "int8"]),
  inputs: z.array(TensorSpecSchema).min(1),
  outputs: z.array(TensorSpecSchema).min(1),
  /** ONNX external-data file holding the weights, when they are not inside the graph file. */
  externalData: FileRefSchema.optional(),
  /** denoiser_int8: the load-time parity check (core's Int8Check JSON: fixed inputs + fp32 outputs). */
  check: FileRefSchema.optional(),
  /** denoiser_int8: how it was quantized (weight scheme, activation granularity, layers left in fp32). */
  quantization: z.object({ scheme: z.string(), activations: z.string(), fp32: z.array(z.string()) }).optional(),
});
export type GraphEntry = z.infer<typeof GraphEntrySchema>;

export const NormalizationSchema = z.object({
  kind: NormKindSchema,
  alpha: z.number().gt(0).lte(1),
  /** Running E[e] (data/batch norm), length d. */
  mean: z.array(z.number()).optional(),
  /** Running E[e²] (data/batch norm), length d. */
  sq: z.array(z.number()).optional(),
});
export type Normalization = z.infer<typeof NormalizationSchema>;

/** Provenance of the weights: how they were trained (export fills it from the checkpoint). */
export const TrainingRecordSchema = z.object({
  command: z.string(),
  seconds: z.number().nonnegative(),
  steps: z.number().int().nonnegative(),
  /** Estimated training FLOPs behind the weights, all stages (training/src/train/flops.ts). */
  flops: z.number().nonnegative().optional(),
  finalLosses: z.record(z.string(), z.number()),
});
export type TrainingRecord = z.infer<typeof TrainingRecordSchema>;

/** Most candidates one summary may be chosen from (a request's denoiser rows grow with it). */
export const MAX_CANDIDATES = 16;

export const ManifestSchema = z
  .object({
    schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "must be lower-case letters, digits, '.', '_' or '-'"),
    version: z.string().min(1),
    task: TaskSchema,
    createdAt: z.iso.datetime(),
    config: ModelConfigSchema,
    vocabulary: VocabularySchema,
    normalization: NormalizationSchema,
    latent: z.object({ length: z.number().int().positive(), dim: z.number().int().positive() }),
    graphs: z.partialRecord(GraphRoleSchema, GraphEntrySchema),
    training: TrainingRecordSchema,
    evaluation: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
    samples: z.array(z.string()).optional(),
    /**
     * Served defaults for what a request leaves out, chosen by evaluation (e.g. the guidance weight
     * whose ROUGE and document dependence were best); absent fields fall back to the API's defaults.
     */
    sampling: z
      .object({
        guidance: z.number().min(0).max(100).optional(),
        clamp: z.number().min(0).max(1).optional(),
        /** Summaries sampled per returned one, the returned one chosen by minimum Bayes risk (core's mbr.ts). */
        candidates: z.number().int().min(1).max(MAX_CANDIDATES).optional(),
      })
      .optional(),
  })
  .superRefine((m, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    if (m.config.task !== m.task) issue(["config", "task"], `config.task (${m.config.task}) differs from task (${m.task})`);
    const v = FIRST_BPE_ID + m.vocabulary.bpeIds.length;
    if (m.config.vocabSize !== v) issue(["config", "vocabSize"], `config.vocabSize ${m.config.vocabSize} but the vocabulary has ${v} ids`);
    if (m.latent.dim !== m.config.latentDim) issue(["latent", "dim"], `latent.dim ${m.latent.dim} differs from config.latentDim ${m.config.latentDim}`);
    if (m.latent.length !== m.config.maxLen) issue(["latent", "length"], `latent.length ${m.latent.length} differs from config.maxLen ${m.config.maxLen}`);
    // The encoder is optional: serving samples from noise and never encodes text, so shipped
    // artifacts may leave it out to stay small; evaluation/parity artifacts include it.
    const required: GraphRole[] = m.task === "summarize" ? ["denoiser", "decoder", "cond_encoder"] : ["denoiser", "decoder"];
    for (const role of required) if (!m.graphs[role]) issue(["graphs", role], `graph "${role}" is required for task ${m.task}`);
    // ArDec's graphs are optional (models with ArDec), and only with the network they run; the
    // KV-cached pair only works together (ar_step reads what ar_memory computes).
    for (const role of ["ar_decoder", "ar_memory", "ar_step"] as const) {
      if (m.graphs[role] && !m.config.arDec) issue(["graphs", role], `graph "${role}" needs config.arDec (the ArDec network)`);
    }
    if ((m.graphs.ar_memory === undefined) !== (m.graphs.ar_step === undefined)) {
      issue(["graphs", m.graphs.ar_memory ? "ar_step" : "ar_memory"], 'graphs "ar_memory" and "ar_step" come as a pair (ArDec\'s KV-cached decode)');
    }
    if ((m.sampling?.candidates ?? 1) > 1 && m.task !== "summarize") issue(["sampling", "candidates"], "candidate selection is for summaries: unconditional samples have no shared input to agree on");
    if ((m.sampling?.clamp ?? 0) > 0 && !clampable(m)) issue(["sampling", "clamp"], "latent clamping re-encodes x̂0: it needs the encoder graph");
    for (const key of ["mean", "sq"] as const) {
      const arr = m.normalization[key];
      if (arr && arr.length !== m.config.latentDim) issue(["normalization", key], `has ${arr.length} values, expected latentDim ${m.config.latentDim}`);
    }
    if ((m.normalization.kind === "data" || m.normalization.kind === "batch") && (!m.normalization.mean || !m.normalization.sq)) {
      issue(["normalization"], `${m.normalization.kind} normalization needs mean and sq`);
    }
  });
/** The parsed manifest; `config` as core's ModelConfig (narrow on `task` for the summarizer's fields). */
export type Manifest = Omit<z.infer<typeof ManifestSchema>, "config"> & { config: ModelConfig };

/** The guidance weight a summarize request without one gets: the manifest's evaluated default, else 0. */
export function servedGuidance(m: Pick<Manifest, "sampling">): number {
  return m.sampling?.guidance ?? 0;
}

/** Candidates per summary a summarize request without the field gets: the manifest's evaluated default, else 1 (no selection). */
export function servedCandidates(m: Pick<Manifest, "sampling">): number {
  return m.sampling?.candidates ?? 1;
}

/**
 * The clamping threshold a request without one gets: the manifest's evaluated default, else 0 (off).
 * Clamping replaces x̂0 by Enc(argmax Dec(x̂0)) at every step with t ≤ this value (core/src/onnx/model.ts).
 */
export function servedClamp(m: Pick<Manifest, "sampling">): number {
  return m.sampling?.clamp ?? 0;
}

/** Whether samples of this artifact can be clamped: clamping re-encodes x̂0, so it needs the encoder graph. */
export function clampable(m: Pick<Manifest, "graphs">): boolean {
  return m.graphs.encoder !== undefined;
}

/** Which decoder decodes: `auto` = ArDec when the artifact has its graphs, else Dec. */
export type DecoderChoice = "auto" | "nar" | "ar";
export const DECODER_CHOICES: readonly DecoderChoice[] = ["auto", "nar", "ar"];

/** The graph roles ArDec's greedy decode runs on. */
export type ArDecoderRole = "ar_decoder" | "ar_memory" | "ar_step";

/**
 * The graphs ArDec decodes with on this artifact: the KV-cached pair (ar_memory, ar_step) when it
 * has them (L trunk positions per sample), else the uncached ar_decoder (L(L+1)/2; artifacts
 * exported before the cache), else none (no ArDec).
 */
export function arDecoderRoles(m: Pick<Manifest, "graphs">): ArDecoderRole[] {
  if (m.graphs.ar_memory && m.graphs.ar_step) return ["ar_memory", "ar_step"];
  return m.graphs.ar_decoder ? ["ar_decoder"] : [];
}

/**
 * The decoder a choice gives for an artifact: `ar` (ArDec, greedy) or `nar` (Dec, one call). Throws
 * when `ar` is asked of an artifact without ArDec's graphs.
 */
export function servedDecoder(m: Pick<Manifest, "graphs">, choice: DecoderChoice = "auto"): "ar" | "nar" {
  const has = arDecoderRoles(m).length > 0;
  if (choice === "ar" && !has) throw new Error('decoder "ar" needs an artifact with the ArDec graphs (ar_memory + ar_step, or ar_decoder), and this one has none: export a checkpoint whose config has arDec (npm run train:ardec)');
  return choice === "nar" || !has ? "nar" : "ar";
}

/** An artifact that failed to load or verify; `file` is the offending file's path. */
export class ArtifactError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = "ArtifactError";
  }
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`).join("; ");
}

/** sha256 (hex) and size of a file, hashed as a stream (graphs can be hundreds of MB). */
export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), bytes };
}

/** The FileRef of a file in an artifact folder (what export puts into the manifest). */
export async function describeFile(dir: string, file: string): Promise<FileRef> {
  const { sha256, bytes } = await hashFile(join(dir, file));
  return FileRefSchema.parse({ file, sha256, bytes });
}

/** Validate and write `dir/manifest.json` atomically. Throws (writing nothing) if `manifest` is invalid. */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const parsed = ManifestSchema.safeParse(manifest);
  if (!parsed.success) throw new ArtifactError(join(dir, MANIFEST_FILE), `invalid manifest, not written: ${formatIssues(parsed.error)}`);
  await writeFileAtomic(join(dir, MANIFEST_FILE), JSON.stringify(parsed.data, null, 2) + "\n");
}

async function verifyRef(dir: string, ref: FileRef, what: string): Promise<void> {
  const path = join(dir, ref.file);
  const st = await stat(path).catch(() => null);
  if (!st || !st.isFile()) throw new ArtifactError(path, `${what} is listed in the manifest but the file is missing`);
  if (st.size !== ref.bytes) {
    throw new ArtifactError(path, `${what} has ${st.size} bytes, the manifest says ${ref.bytes} (truncated, replaced or corrupt)`);
  }
  const { sha256 } = await hashFile(path);
  if (sha256 !== ref.sha256) {
    throw new ArtifactError(path, `${what} fails verification: sha256 is ${sha256}, the manifest says ${ref.sha256} (the file was modified or is corrupt)`);
  }
}

/** Parse and validate a manifest object (no file checks). */
export function parseManifest(json: unknown, source = MANIFEST_FILE): Manifest {
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) throw new ArtifactError(source, `invalid manifest: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

/**
 * Read `dir/manifest.json`, validate it, and verify every listed file (size and sha256).
 * Throws ArtifactError naming the file and the problem.
 */
export async function readArtifact(dir: string): Promise<Manifest> {
  const manifestPath = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(manifestPath, "utf8");
  } catch (err) {
    throw new ArtifactError(manifestPath, `cannot read the manifest (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ArtifactError(manifestPath, `not valid JSON: ${(err as Error).message}`);
  }
  const manifest = parseManifest(json, manifestPath);
  for (const [role, entry] of Object.entries(manifest.graphs)) {
    if (!entry) continue;
    await verifyRef(dir, entry, `graph "${role}"`);
    if (entry.externalData) await verifyRef(dir, entry.externalData, `external data of graph "${role}"`);
    if (entry.check) await verifyRef(dir, entry.check, `parity check of graph "${role}"`);
  }
  return manifest;
}
