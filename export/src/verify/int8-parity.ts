// The int8 denoiser's parity with the fp32 one, measured the way it matters for samples:
// 1. x̂0 error on validation-like inputs at several t: x0 = the fp32 sampler's final latents (the
//    model's own distribution; artifacts carry no data), x_t = α_t·x0 + σ_t·ε, x_sc = the fp32
//    x̂0 at (x_t, 0, t) as in sampling. Per t: max |int8 − fp32| ≤ 1 % of max |fp32 x̂0|.
// 2. Decoded tokens after a full sampling run (50 DDIM steps, fixed seeds) with each denoiser:
//    ≥ 99 % of positions agree, counted up to the later of the two samples' first EOS/PAD (the
//    padding tail would agree trivially).
// The fp32 graph is the reference here: export:verify has already held it to 1e-4 of the model.
// Also makes the load-time check file (core's Int8Check): one row per t of these inputs.
import { join } from "node:path";
import type * as ort from "onnxruntime-node";
import { cpuInfo, documentHead, encodeTensor, gaussianNoise, makeSchedule, readArtifact, CompactTokenizer } from "@ldtext/core";
import type { CpuInfo, Int8Check, Manifest } from "@ldtext/core";
import { condEncoderFeeds, createSession, denoiserFeeds } from "@ldtext/core/onnx";
import { sampleArtifact } from "../sample/sample.ts";
import type { SampleArtifactResult } from "../sample/sample.ts";

export const INT8_X0_RELATIVE_BOUND = 0.01;
export const INT8_TOKEN_AGREEMENT_BOUND = 0.99;
export const PARITY_TIMES = [0.95, 0.8, 0.6, 0.4, 0.2, 0.05] as const;
/** t of the rows shipped in the load-time check (a subset of PARITY_TIMES: few rows, a few ms). */
export const CHECK_TIMES = [0.95, 0.6, 0.2, 0.05] as const;

/** Fixed documents for summarize models (news-like leads; any text works: the check compares two graphs). */
export const PARITY_DOCUMENTS: readonly string[] = [
  "The council approved the plan on Tuesday. Work on the new bridge starts in May and should take two years.",
  "Police said a man had been arrested after a car crashed into a shop window in the town centre on Saturday night.",
  "The company reported higher profits for the third quarter, helped by strong sales of its new phone in Asia.",
  "Scientists have found a new species of frog in the rainforest, the first to be discovered in the region for decades.",
  "The national team won the final 2-1 after extra time, with the winning goal scored in the last minute.",
  "Hospitals in the region are under pressure as the number of flu cases rose sharply over the past week.",
  "The government has announced plans to build 10,000 new homes across the north of the country by 2030.",
  "A rare painting stolen from a museum forty years ago has been returned after it was found in a private collection.",
];

export interface Int8ParityOptions {
  /** The int8 graph to measure (default: the artifact's denoiser_int8). */
  int8File?: string;
  /** Samples in the sampling run (generate; summarize uses up to PARITY_DOCUMENTS.length). Default 8. */
  samples?: number;
  steps?: number;
  seed?: number;
  threads?: number;
}

export interface Int8ParityReport {
  ok: boolean;
  cpu: CpuInfo;
  x0: {
    ok: boolean;
    bound: number;
    /** Worst t: max |int8 − fp32| / max |fp32 x̂0|. */
    relErr: number;
    perT: { t: number; maxAbsErr: number; maxAbsRef: number; relErr: number }[];
  };
  tokens: { ok: boolean; bound: number; agreement: number; positions: number; samples: number; steps: number; seed: number };
}

export interface Feeds {
  rows: number;
  x_t: Float32Array;
  x_sc: Float32Array;
  t: Float32Array;
  cond?: { data: Float32Array; mask: Float32Array; S: number };
}

function toOrt(f: Feeds, L: number, d: number, Dc: number): Record<string, ort.Tensor> {
  return denoiserFeeds({ rows: f.rows, x: f.x_t, xsc: f.x_sc, t: f.t, cond: f.cond }, { L, d, condDim: f.cond ? Dc : 0 });
}

/** Position count up to and including the first EOS/PAD (ids 2/0), at least 1. */
function decodedLength(ids: Int32Array): number {
  for (let i = 0; i < ids.length; i++) if (ids[i] === 0 || ids[i] === 2) return i + 1;
  return ids.length;
}

export function tokenAgreement(a: readonly Int32Array[], b: readonly Int32Array[]): { agreement: number; positions: number } {
  let same = 0;
  let positions = 0;
  for (let i = 0; i < a.length; i++) {
    const n = Math.max(decodedLength(a[i]), decodedLength(b[i]));
    for (let p = 0; p < n; p++) if (a[i][p] === b[i][p]) same++;
    positions += n;
  }
  return { agreement: positions > 0 ? same / positions : 1, positions };
}

const open = (file: string, threads: number): Promise<ort.InferenceSession> => createSession(file, { threads });

/** Conditions for the first `n` documents (the server's document policy), each row padded to the longest (mask 0), as the server batches them. */
async function encodeDocs(dir: string, m: Manifest, docs: readonly string[], threads: number): Promise<{ data: Float32Array[]; lens: number[]; Dc: number }> {
  const cfg = m.config;
  if (cfg.task !== "summarize") throw new Error("encodeDocs needs a summarize model");
  const tok = CompactTokenizer.fromJSON(m.vocabulary);
  const s = await open(join(dir, m.graphs.cond_encoder!.file), threads);
  const S = cfg.condMaxLen;
  const data: Float32Array[] = [];
  const lens: number[] = [];
  try {
    for (const doc of docs) {
      const ids = documentHead(tok, doc, S).tokens;
      const out = await s.run(condEncoderFeeds(ids));
      data.push(new Float32Array(out.cond.data as Float32Array));
      lens.push(ids.length);
    }
  } finally {
    await s.release();
    tok.free();
  }
  return { data, lens, Dc: cfg.condEnc.dModel };
}

function padConds(rows: { data: Float32Array; len: number }[], Dc: number): { data: Float32Array; mask: Float32Array; S: number } {
  const S = Math.max(1, ...rows.map((r) => r.len));
  const data = new Float32Array(rows.length * S * Dc);
  const mask = new Float32Array(rows.length * S);
  rows.forEach((r, i) => {
    data.set(r.data, i * S * Dc);
    mask.fill(1, i * S, i * S + r.len);
  });
  return { data, mask, S };
}

export interface Int8ParityResult {
  report: Int8ParityReport;
  /** The load-time check (one row per CHECK_TIMES t), ready to write as JSON. */
  check: Int8Check;
}

export interface ValidationLike {
  manifest: Manifest;
  /** The fp32 sampling run the latents came from. */
  fp32Run: SampleArtifactResult;
  samples: number;
  /** Rows per t (row r = t index ⌊r / perT⌋). */
  perT: number;
  feeds: Feeds;
  condRows: { data: Float32Array; len: number }[];
  Dc: number;
}

/**
 * Validation-like denoiser inputs (see the header): a full fp32 sampling run of `samples` samples
 * (generate) or PARITY_DOCUMENTS (summarize), then `perT` rows at each of `times`.
 */
export async function validationLikeInputs(dir: string, o: { samples: number; steps: number; seed: number; threads: number; times?: readonly number[] }): Promise<ValidationLike> {
  const m = await readArtifact(dir);
  const cfg = m.config;
  const ld = cfg.maxLen * cfg.latentDim;
  const times = o.times ?? PARITY_TIMES;
  const conditional = m.task === "summarize";
  const n = conditional ? Math.min(o.samples, PARITY_DOCUMENTS.length) : o.samples;
  const docs = conditional ? PARITY_DOCUMENTS.slice(0, n) : undefined;
  // Decoded with Dec (nar) even when the artifact has ArDec: the bound measures the denoiser, and a
  // greedy decode would turn one flipped token into a different continuation.
  const fp32Run = await sampleArtifact({ artifactDir: dir, steps: o.steps, seed: o.seed, threads: o.threads, sampler: "ddim", denoiser: "fp32", decoder: "nar", ...(docs ? { documents: docs } : { n }) });
  const schedule = makeSchedule(cfg.schedule);
  const perT = Math.min(n, 2);
  const rows = times.length * perT;
  const x_t = new Float32Array(rows * ld);
  const t = new Float32Array(rows);
  const sampleOf: number[] = [];
  times.forEach((tk, k) => {
    const a = schedule.alpha(tk);
    const s = schedule.sigma(tk);
    for (let j = 0; j < perT; j++) {
      const r = k * perT + j;
      const i = (k + j) % n;
      sampleOf.push(i);
      const eps = gaussianNoise(o.seed + 7, k + 1, i, ld);
      const x0 = fp32Run.latents[i];
      for (let p = 0; p < ld; p++) x_t[r * ld + p] = a * x0[p] + s * eps[p];
      t[r] = tk;
    }
  });
  let cond: Feeds["cond"];
  let condRows: { data: Float32Array; len: number }[] = [];
  let Dc = 0;
  if (conditional) {
    const enc = await encodeDocs(dir, m, docs!, o.threads);
    Dc = enc.Dc;
    condRows = sampleOf.map((i) => ({ data: enc.data[i], len: enc.lens[i] }));
    cond = padConds(condRows, Dc);
  }
  // self-conditioning input as in sampling: the fp32 x̂0 at (x_t, 0, t)
  const fp32 = await open(join(dir, m.graphs.denoiser!.file), o.threads);
  let x_sc: Float32Array;
  try {
    const sc = await fp32.run(toOrt({ rows, x_t, x_sc: new Float32Array(rows * ld), t, cond }, cfg.maxLen, cfg.latentDim, Dc));
    x_sc = new Float32Array(sc.x0_hat.data as Float32Array);
  } finally {
    await fp32.release();
  }
  return { manifest: m, fp32Run, samples: n, perT, feeds: { rows, x_t, x_sc, t, cond }, condRows, Dc };
}

export function feedsToOrt(v: ValidationLike): Record<string, ort.Tensor> {
  return toOrt(v.feeds, v.manifest.config.maxLen, v.manifest.config.latentDim, v.Dc);
}

export async function measureInt8Parity(dir: string, opts: Int8ParityOptions = {}): Promise<Int8ParityResult> {
  const steps = opts.steps ?? 50;
  const seed = opts.seed ?? 20261129;
  const threads = opts.threads ?? 1;
  const v = await validationLikeInputs(dir, { samples: opts.samples ?? 8, steps, seed, threads });
  const m = v.manifest;
  const cfg = m.config;
  const L = cfg.maxLen;
  const d = cfg.latentDim;
  const ld = L * d;
  const int8File = opts.int8File ?? (m.graphs.denoiser_int8 ? join(dir, m.graphs.denoiser_int8.file) : undefined);
  if (!int8File) throw new Error(`${dir} has no denoiser_int8 graph to measure`);
  const conditional = m.task === "summarize";
  const n = v.samples;
  const docs = conditional ? PARITY_DOCUMENTS.slice(0, n) : undefined;
  const fp32Run = v.fp32Run;
  const int8Run = await sampleArtifact({ artifactDir: dir, steps, seed, threads, sampler: "ddim", denoiser: "int8", denoiserFile: int8File, decoder: "nar", ...(docs ? { documents: docs } : { n }) });
  const agree = tokenAgreement(fp32Run.ids, int8Run.ids);
  const { perT, condRows, Dc } = v;
  const { x_t, x_sc, t } = v.feeds;
  const fp32 = await open(join(dir, m.graphs.denoiser!.file), threads);
  const int8 = await open(int8File, threads);
  let ref: Float32Array;
  let got: Float32Array;
  try {
    ref = new Float32Array((await fp32.run(feedsToOrt(v))).x0_hat.data as Float32Array);
    got = new Float32Array((await int8.run(feedsToOrt(v))).x0_hat.data as Float32Array);
  } finally {
    await fp32.release();
    await int8.release();
  }
  const perTReport = PARITY_TIMES.map((tk, k) => {
    let err = 0;
    let mx = 0;
    for (let p = k * perT * ld; p < (k + 1) * perT * ld; p++) {
      const e = Math.abs(got[p] - ref[p]);
      err = Number.isNaN(e) ? Infinity : Math.max(err, e);
      mx = Math.max(mx, Math.abs(ref[p]));
    }
    return { t: tk, maxAbsErr: err, maxAbsRef: mx, relErr: mx > 0 ? err / mx : err };
  });
  const relErr = Math.max(...perTReport.map((p) => p.relErr));
  const x0Ok = relErr <= INT8_X0_RELATIVE_BOUND;
  const tokensOk = agree.agreement >= INT8_TOKEN_AGREEMENT_BOUND;
  const cpu = cpuInfo();
  const report: Int8ParityReport = {
    ok: x0Ok && tokensOk,
    cpu,
    x0: { ok: x0Ok, bound: INT8_X0_RELATIVE_BOUND, relErr, perT: perTReport },
    tokens: { ok: tokensOk, bound: INT8_TOKEN_AGREEMENT_BOUND, agreement: agree.agreement, positions: agree.positions, samples: n, steps, seed },
  };

  // The shipped check: the first row at each CHECK_TIMES t.
  const pick = CHECK_TIMES.map((tc) => PARITY_TIMES.indexOf(tc) * perT);
  const take = (src: Float32Array, per: number): Float32Array => {
    const out = new Float32Array(pick.length * per);
    pick.forEach((r, i) => out.set(src.subarray(r * per, (r + 1) * per), i * per));
    return out;
  };
  const B = pick.length;
  const inputs: Int8Check["inputs"] = {
    x_t: encodeTensor({ shape: [B, L, d], data: take(x_t, ld) }),
    x_sc: encodeTensor({ shape: [B, L, d], data: take(x_sc, ld) }),
    t: encodeTensor({ shape: [B], data: take(t, 1) }),
  };
  if (conditional) {
    const c = padConds(pick.map((r) => condRows[r]), Dc);
    inputs.cond = encodeTensor({ shape: [B, c.S, Dc], data: c.data });
    inputs.cond_mask = encodeTensor({ shape: [B, c.S], data: c.mask });
  }
  const checkRel = Math.max(...pick.map((r) => {
    let err = 0;
    let mx = 0;
    for (let p = r * ld; p < (r + 1) * ld; p++) {
      err = Math.max(err, Math.abs(got[p] - ref[p]));
      mx = Math.max(mx, Math.abs(ref[p]));
    }
    return mx > 0 ? err / mx : err;
  }));
  const check: Int8Check = {
    kind: "int8-parity-check",
    version: 1,
    relativeBound: INT8_X0_RELATIVE_BOUND,
    inputs,
    expected: encodeTensor({ shape: [B, L, d], data: take(ref, ld) }),
    madeOn: { cpu: cpu.model, flags: cpu.int8Flags, relErr: checkRel },
  };
  return { report, check };
}
