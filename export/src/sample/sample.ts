// Offline sampling from an artifact folder, for evaluation: the server's own sampling code — core's
// Scheduler (step-level batching, guidance rows, sampler updates) over core's OrtModel (the graphs
// the server's engine worker runs) — in this process, with one lane and no HTTP. Every row's output
// is a pure function of (artifact, seed, steps, sampler, guidance, document), not of the batch size.
//
// Seeding, chosen so that every sample can be reproduced through the server's API:
// - generate: one request of n samples with `seed` — sample i uses noise row i (POST /generate
//   {n, seed} gives the same texts); it runs as jobs of at most `batchSize` samples, job k starting
//   at noise row k·batchSize (JobSpec.firstSample), so the batch size caps the rows of a call;
// - summarize: document i is its own request of one sample with seed `seed + i`, noise row 0
//   (POST /summarize {document, n: 1, seed: seed + i}), or `seed` itself with `sharedSeed`; with
//   `candidates` k it samples noise rows 0…k−1 and keeps the minimum-Bayes-risk one (the server's
//   POST /summarize {…, candidates: k}).
import {
  CompactTokenizer,
  type DecoderChoice,
  type JobResult,
  type JobSpec,
  type Manifest,
  type SamplerKind,
  SAMPLER_KINDS,
  Scheduler,
  clampable,
  condMaxLenOf,
  coreMath,
  documentHead,
  MAX_CANDIDATES,
  mbrSelect,
  readArtifact,
} from "@ldtext/core";
import { openArtifactModel } from "@ldtext/core/onnx";

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
  /** Latent clamping at steps with t ≤ clamp (0 = off, the default); needs the artifact's encoder graph. */
  clamp?: number;
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
  /** Summarize: samples per document, the kept one chosen by minimum Bayes risk (core's mbrSelect; default 1). */
  candidates?: number;
  /** Summarize: every document samples from `seed` itself (as its own request with that seed would), not `seed + i`. */
  sharedSeed?: boolean;
  /** Run this denoiser graph file instead of the manifest's (e.g. an int8 candidate being measured). */
  denoiserFile?: string;
  /** Which decoder: auto (default) = ArDec when the artifact has its graphs, else Dec; nar; ar (fails without them). */
  decoder?: DecoderChoice;
  /** Called as samples finish with (samples finished so far, total). */
  onProgress?: (done: number, total: number) => void;
}

export interface SampleArtifactResult {
  texts: string[];
  /** Summarize with candidates > 1: every candidate's text per document (the kept one at `chosen[i]`). */
  candidateTexts?: string[][];
  chosen?: number[];
  /** Decoded token ids `[L]` per sample (Dec's argmax or ArDec's greedy tokens; before the `length` cut). */
  ids: Int32Array[];
  /** The last step's x̂0 `[L, d]` per sample (what the decoder read). */
  latents: Float32Array[];
  /** Wall time of sampling (sessions open excluded). */
  seconds: number;
  /** The decoder that decoded: ar (ArDec, greedy) or nar (Dec). */
  decoder: "ar" | "nar";
  manifest: Manifest;
}

interface Checked {
  n: number;
  candidates: number;
  sampler: SamplerKind;
  guidance: number;
  clamp: number;
  length: number;
  batchSize: number;
}

function checkOptions(o: SampleArtifactOptions, m: Manifest): Checked {
  const sampler = o.sampler ?? "ddim";
  if (!SAMPLER_KINDS.includes(sampler)) throw new RangeError(`sampler must be one of ${SAMPLER_KINDS.join(", ")}, got ${String(sampler)}`);
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new RangeError(`steps must be a positive integer, got ${o.steps}`);
  const guidance = o.guidance ?? 0;
  if (!(guidance >= 0) || !Number.isFinite(guidance)) throw new RangeError(`guidance must be a finite number ≥ 0, got ${guidance}`);
  const clamp = o.clamp ?? 0;
  if (!(clamp >= 0 && clamp <= 1)) throw new RangeError(`clamp must be a time in [0, 1] (0 = off), got ${clamp}`);
  if (clamp > 0 && !clampable(m)) throw new Error(`${o.artifactDir} has no encoder graph: latent clamping (clamp ${clamp}) needs it`);
  const L = m.config.maxLen;
  const length = o.length ?? L;
  if (!Number.isInteger(length) || length < 1 || length > L) throw new RangeError(`length must be an integer in [1, ${L}], got ${length}`);
  const batchSize = o.batchSize ?? 32;
  const candidates = o.candidates ?? 1;
  if (!Number.isInteger(candidates) || candidates < 1 || candidates > MAX_CANDIDATES) throw new RangeError(`candidates must be an integer in [1, ${MAX_CANDIDATES}], got ${o.candidates}`);
  if (candidates > 1 && m.task !== "summarize") throw new Error("candidates choose among summaries of one document: a generate model has none");
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
  return { n, candidates, sampler, guidance, clamp, length, batchSize };
}

/** The scheduler jobs of a call, in sample order (see the header for the seeding). */
function jobsOf(o: SampleArtifactOptions, m: Manifest, c: Checked, tok: CompactTokenizer): Omit<JobSpec, "id" | "deadline">[] {
  const base = { steps: o.steps, sampler: c.sampler, guidance: c.guidance, clamp: c.clamp };
  if (m.task !== "summarize") {
    return Array.from({ length: Math.ceil(c.n / c.batchSize) }, (_, k) => ({ ...base, n: Math.min(c.batchSize, c.n - k * c.batchSize), seed: o.seed, firstSample: k * c.batchSize }));
  }
  const S = condMaxLenOf(m.config);
  return o.documents!.map((doc, i) => {
    const { tokens } = documentHead(tok, doc, S);
    if (tokens.length === 0) throw new Error(`documents[${i}] has no tokens`);
    return { ...base, n: c.candidates, seed: o.sharedSeed ? o.seed : o.seed + i, condition: { key: `documents[${i}]`, tokens } };
  });
}

/** Generate texts from an artifact folder, exactly as the server samples them. */
export async function sampleArtifact(o: SampleArtifactOptions): Promise<SampleArtifactResult> {
  const manifest = await readArtifact(o.artifactDir);
  const checked = checkOptions(o, manifest);
  const tok = CompactTokenizer.fromJSON(manifest.vocabulary);
  try {
    const jobs = jobsOf(o, manifest, checked, tok);
    const math = coreMath(manifest.config.schedule, o.tEnd ?? 0.01);
    const model = await openArtifactModel(o.artifactDir, manifest, math, { threads: o.threads ?? 1, denoiser: o.denoiser, denoiserFile: o.denoiserFile, decoder: o.decoder, encoder: checked.clamp > 0 });
    // One lane, every job queued at once: the lane admits them in order up to the row budget.
    const scheduler = new Scheduler({ lanes: [model], math, rowBudget: checked.batchSize, queueSize: jobs.length });
    const start = performance.now();
    let results: JobResult[];
    try {
      let done = 0;
      results = await Promise.all(
        jobs.map((j, i) =>
          scheduler.submit({ ...j, id: `sample-${i}`, deadline: Infinity }).then((r) => {
            done += j.n / checked.candidates;
            o.onProgress?.(done, checked.n);
            return r;
          }),
        ),
      );
    } catch (e) {
      // A failed batch fails its jobs only: stop the rest before the sessions are released.
      scheduler.abortAll();
      await scheduler.drain();
      throw e;
    } finally {
      await model.release();
    }
    const seconds = (performance.now() - start) / 1000;
    const ld = manifest.config.maxLen * manifest.config.latentDim;
    const decode = (row: Int32Array) => tok.decodeSample(row.subarray(0, checked.length));
    if (checked.candidates > 1) {
      // One job per document, its k rows the candidates: keep the minimum-Bayes-risk one.
      const candidateTexts = results.map((r) => r.ids.map(decode));
      const chosen = candidateTexts.map((c) => mbrSelect(c).index);
      return {
        texts: candidateTexts.map((c, i) => c[chosen[i]]),
        ids: results.map((r, i) => r.ids[chosen[i]]),
        latents: results.map((r, i) => r.latents.slice(chosen[i] * ld, (chosen[i] + 1) * ld)),
        candidateTexts,
        chosen,
        seconds,
        decoder: model.decoder,
        manifest,
      };
    }
    const ids = results.flatMap((r) => r.ids);
    const latents = results.flatMap((r) => r.ids.map((_, i) => r.latents.slice(i * ld, (i + 1) * ld)));
    return { texts: ids.map(decode), ids, latents, seconds, decoder: model.decoder, manifest };
  } finally {
    tok.free();
  }
}
