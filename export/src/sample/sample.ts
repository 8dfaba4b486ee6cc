// Offline sampling from an artifact folder through onnxruntime-node, for evaluation: the same graphs,
// time grid, counter-based noise, sampler updates and guidance as the server (docs/MODEL-SPEC.md
// "Sampling"; server/src/scheduler), without the server's continuous batching. Every row's output is
// a pure function of (artifact, seed, steps, sampler, guidance, document), not of the batch size.
//
// Seeding, chosen so that every sample can be reproduced through the server's API:
// - generate: one request of n samples with `seed` — sample i uses noise row i (POST /generate
//   {n, seed} gives the same texts);
// - summarize: document i is its own request of one sample with seed `seed + i`, noise row 0
//   (POST /summarize {document, n: 1, seed: seed + i}).
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import {
  CompactTokenizer,
  type Manifest,
  type SamplerKind,
  SAMPLER_KINDS,
  cfgCombine,
  condMaxLenOf,
  ddimStep,
  documentHead,
  gaussianNoise,
  makeSchedule,
  odeStep,
  readArtifact,
  sdeStep,
  timeGrid,
} from "@ldtext/core";

/** Which denoiser graph samples: the float one, or the artifact's int8 `denoiser_int8` (the server's DENOISER). */
export type DenoiserPrecision = "fp32" | "int8";

export interface SampleArtifactOptions {
  artifactDir: string;
  /** Number of samples (generate); for summarize, defaults to and must equal `documents.length`. */
  n?: number;
  steps: number;
  sampler?: SamplerKind;
  seed: number;
  /** Rows per denoiser call (guided rows count twice). Does not change the outputs. */
  batchSize?: number;
  /** Classifier-free guidance weight w (summarize only; 0 = off). */
  guidance?: number;
  /** Source documents (summarize models). */
  documents?: readonly string[];
  /** Decoded length (≤ the model's L); tokens past it are ignored, as the server's `length`. */
  length?: number;
  /** Last time of the grid (the server's default 0.01). */
  tEnd?: number;
  /** ORT intra-op threads (default 1: the machine is shared). */
  threads?: number;
  /** Default fp32. */
  denoiser?: DenoiserPrecision;
  /** Summarize: every document samples from `seed` itself (as its own request with that seed would), not `seed + i`. */
  sharedSeed?: boolean;
  /** Run this denoiser graph file instead of the manifest's (e.g. an int8 candidate being measured). */
  denoiserFile?: string;
  /** Called after every denoiser call with (samples finished so far, total). */
  onProgress?: (done: number, total: number) => void;
}

export interface SampleArtifactResult {
  texts: string[];
  /** Argmax token ids `[L]` per sample (before the `length` cut). */
  ids: Int32Array[];
  /** The last step's x̂0 `[L, d]` per sample (what the decoder read). */
  latents: Float32Array[];
  /** Wall time of sampling (sessions open excluded). */
  seconds: number;
  manifest: Manifest;
}

interface Sessions {
  denoiser: ort.InferenceSession;
  decoder: ort.InferenceSession;
  condEncoder?: ort.InferenceSession;
}

async function openSessions(dir: string, m: Manifest, threads: number, denoiser: DenoiserPrecision = "fp32", denoiserFile?: string): Promise<Sessions> {
  const open = (role: "denoiser" | "denoiser_int8" | "decoder" | "cond_encoder", file?: string) => {
    const g = m.graphs[role];
    if (!g && !file) throw new Error(`${dir}: the manifest lists no ${role} graph`);
    return ort.InferenceSession.create(file ?? join(dir, g!.file), {
      executionProviders: ["cpu"],
      graphOptimizationLevel: "all",
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      logSeverityLevel: 3,
    });
  };
  return {
    denoiser: await open(denoiser === "int8" ? "denoiser_int8" : "denoiser", denoiserFile),
    decoder: await open("decoder"),
    ...(m.task === "summarize" ? { condEncoder: await open("cond_encoder") } : {}),
  };
}

async function releaseSessions(s: Sessions): Promise<void> {
  await Promise.all([s.denoiser.release(), s.decoder.release(), s.condEncoder?.release()]);
}

interface Condition {
  /** `[len, Dc]`, real tokens only. */
  cond: Float32Array;
  len: number;
  nullCond: Float32Array;
}

/** The server's document policy (core's documentHead): head of the document, at most S tokens; each document encoded alone. */
async function encodeDocument(s: ort.InferenceSession, tok: CompactTokenizer, doc: string, S: number, index: number): Promise<Condition> {
  const { tokens } = documentHead(tok, doc, S);
  if (tokens.length === 0) throw new Error(`documents[${index}] has no tokens`);
  const len = tokens.length;
  const out = await s.run({
    tokens: new ort.Tensor("int64", BigInt64Array.from(tokens, (v) => BigInt(v)), [1, len]),
    mask: new ort.Tensor("float32", new Float32Array(len).fill(1), [1, len]),
  });
  return { cond: new Float32Array(out.cond.data as Float32Array), len, nullCond: new Float32Array(out.null_cond.data as Float32Array) };
}

function checkOptions(o: SampleArtifactOptions, m: Manifest): { n: number; sampler: SamplerKind; guidance: number; length: number; batchSize: number } {
  const sampler = o.sampler ?? "ddim";
  if (!SAMPLER_KINDS.includes(sampler)) throw new RangeError(`sampler must be one of ${SAMPLER_KINDS.join(", ")}, got ${String(sampler)}`);
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new RangeError(`steps must be a positive integer, got ${o.steps}`);
  const guidance = o.guidance ?? 0;
  if (!(guidance >= 0) || !Number.isFinite(guidance)) throw new RangeError(`guidance must be a finite number ≥ 0, got ${guidance}`);
  const L = m.config.maxLen;
  const length = o.length ?? L;
  if (!Number.isInteger(length) || length < 1 || length > L) throw new RangeError(`length must be an integer in [1, ${L}], got ${length}`);
  const batchSize = o.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  let n: number;
  if (m.task === "summarize") {
    if (!o.documents || o.documents.length === 0) throw new Error(`${o.artifactDir} is a summarize model: pass documents`);
    n = o.n ?? o.documents.length;
    if (n !== o.documents.length) throw new RangeError(`n (${n}) must equal the number of documents (${o.documents.length}) for a summarize model`);
    if (guidance > 0 && batchSize < 2) throw new RangeError("batchSize must be ≥ 2 with guidance (each guided sample takes two rows)");
  } else {
    if (o.documents) throw new Error(`${o.artifactDir} is an unconditional (generate) model: documents are not accepted`);
    if (guidance > 0) throw new RangeError("guidance needs a summarize model");
    n = o.n ?? 0;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${o.n}`);
  }
  return { n, sampler, guidance, length, batchSize };
}

/** Generate texts from an artifact folder, exactly as the server samples them. */
export async function sampleArtifact(o: SampleArtifactOptions): Promise<SampleArtifactResult> {
  const manifest = await readArtifact(o.artifactDir);
  const { n, sampler, guidance, length, batchSize } = checkOptions(o, manifest);
  const cfg = manifest.config;
  const L = cfg.maxLen;
  const d = cfg.latentDim;
  const ld = L * d;
  const schedule = makeSchedule(cfg.schedule);
  const grid = timeGrid(o.steps, o.tEnd ?? 0.01);
  const tok = CompactTokenizer.fromJSON(manifest.vocabulary);
  const sessions = await openSessions(o.artifactDir, manifest, o.threads ?? 1, o.denoiser, o.denoiserFile);
  const conditional = manifest.task === "summarize";
  const Dc = conditional ? cfg.condEnc!.dModel : 0;
  const S = condMaxLenOf(cfg);
  const copies = conditional && guidance > 0 ? 2 : 1;
  const perCall = Math.max(1, Math.floor(batchSize / copies));
  const ids: Int32Array[] = [];
  const latents: Float32Array[] = [];
  const start = performance.now();
  try {
    for (let first = 0; first < n; first += perCall) {
      const b = Math.min(perCall, n - first);
      const rows = b * copies;
      // Per-sample (seed, row) of the noise stream; see the header.
      const seedOf = (i: number) => (conditional && !o.sharedSeed ? o.seed + first + i : o.seed);
      const rowOf = (i: number) => (conditional ? 0 : first + i);
      const x = new Float32Array(b * ld);
      for (let i = 0; i < b; i++) x.set(gaussianNoise(seedOf(i), 0, rowOf(i), ld), i * ld);
      const xsc = new Float32Array(b * ld);
      const x0 = new Float32Array(b * ld);

      // Condition rows: b conditional rows, then (guided) b null-condition rows, padded to the longest.
      let condFeed: Record<string, ort.Tensor> = {};
      if (conditional) {
        const conds: Condition[] = [];
        for (let i = 0; i < b; i++) conds.push(await encodeDocument(sessions.condEncoder!, tok, o.documents![first + i], S, first + i));
        const Smax = Math.max(1, ...conds.map((c) => c.len));
        const cond = new Float32Array(rows * Smax * Dc);
        const mask = new Float32Array(rows * Smax);
        for (let c = 0; c < copies; c++) {
          for (let i = 0; i < b; i++) {
            const r = c * b + i;
            const useNull = c === 1;
            const len = useNull ? 1 : conds[i].len;
            cond.set(useNull ? conds[i].nullCond : conds[i].cond, r * Smax * Dc);
            mask.fill(1, r * Smax, r * Smax + len);
          }
        }
        condFeed = { cond: new ort.Tensor("float32", cond, [rows, Smax, Dc]), cond_mask: new ort.Tensor("float32", mask, [rows, Smax]) };
      }

      const next = new Float32Array(ld);
      const x0hat = new Float32Array(ld);
      for (let step = 0; step < o.steps; step++) {
        const t = grid[step];
        const s = grid[step + 1];
        const xIn = new Float32Array(rows * ld);
        const scIn = new Float32Array(rows * ld);
        for (let c = 0; c < copies; c++) {
          xIn.set(x, c * b * ld);
          scIn.set(xsc, c * b * ld);
        }
        const out = await sessions.denoiser.run({
          x_t: new ort.Tensor("float32", xIn, [rows, L, d]),
          x_sc: new ort.Tensor("float32", scIn, [rows, L, d]),
          t: new ort.Tensor("float32", new Float32Array(rows).fill(t), [rows]),
          ...condFeed,
        });
        const pred = out.x0_hat.data as Float32Array;
        for (let i = 0; i < b; i++) {
          const c = pred.subarray(i * ld, (i + 1) * ld);
          if (copies === 2) cfgCombine(x0hat, c, pred.subarray((b + i) * ld, (b + i + 1) * ld), guidance);
          else x0hat.set(c);
          const xr = x.subarray(i * ld, (i + 1) * ld);
          if (sampler === "ddim") ddimStep(xr, x0hat, t, s, schedule, next);
          else if (sampler === "ode") odeStep(xr, x0hat, t, s, schedule, next);
          else sdeStep(xr, x0hat, t, s, schedule, gaussianNoise(seedOf(i), step + 1, rowOf(i), ld), next);
          xr.set(next);
          xsc.set(x0hat, i * ld);
          x0.set(x0hat, i * ld);
        }
      }
      const dec = await sessions.decoder.run({ latents: new ort.Tensor("float32", x0, [b, L, d]) });
      const flat = dec.ids.data as BigInt64Array;
      for (let i = 0; i < b; i++) {
        ids.push(Int32Array.from(flat.subarray(i * L, (i + 1) * L), (v) => Number(v)));
        latents.push(x0.slice(i * ld, (i + 1) * ld));
      }
      o.onProgress?.(first + b, n);
    }
  } finally {
    await releaseSessions(sessions);
  }
  const seconds = (performance.now() - start) / 1000;
  const texts = ids.map((row) => tok.decodeSample(row.subarray(0, length)));
  tok.free();
  return { texts, ids, latents, seconds, manifest };
}
