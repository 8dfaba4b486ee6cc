// export:verify — an artifact is accepted when its files match the manifest's sha256, every graph
// loads in onnxruntime-node with the manifest's input/output names, outputs have the manifest's
// shapes, and each graph agrees with the reference forward (TF.js, or the float64 JS reference) on
// random inputs: max abs error ≤ 1e-4 for fp32/fp16-stored graphs (the reference runs on the very
// weights the graph stores). The ArDec step graph (ar_decoder) is checked at several prefix lengths
// T (1, ⌈L/2⌉, L): its next_logits against the reference's teacher-forced logits at position T − 1.
// ArDec's KV-cached pair (ar_memory + ar_step) is checked together: ar_memory once, then ar_step at
// every position 0..L − 1 fed its own present keys/values, each step's next_logits against the
// reference's logits at that position (the same bound). The int8 denoiser is held to ./int8-parity.ts on this CPU (x̂0 error
// ≤ 1 % of max |x̂0| at several t on validation-like latents, and ≥ 99 % decoded-token agreement
// with fp32 after a full 50-step sampling run); the report records the CPU model and int8 flags,
// since int8 kernels differ between CPUs.
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { BOS_ID, condMaxLenOf, readArtifact, weightShapes } from "@ldtext/core";
import type { GraphEntry, Manifest, ModelConfig, TensorSpec } from "@ldtext/core";
import type { NormState, WeightTensor } from "@ldtext/core";
import { readInitializers, tensorAsFloat32 } from "@ldtext/core";
import { gaussian } from "../networks/weights.ts";
import type { Tensor64 } from "../reference/forward.ts";
import { chooseReference } from "./reference.ts";
import { cpuInfo } from "@ldtext/core";
import type { CpuInfo } from "@ldtext/core";
import { measureInt8Parity } from "./int8-parity.ts";
import type { Int8ParityReport } from "./int8-parity.ts";
import type { CondInput, ReferenceForward } from "./reference.ts";
import { createSession } from "@ldtext/core/onnx";

export const FP32_BOUND = 1e-4;

export interface GraphReport {
  precision: GraphEntry["dtype"];
  maxAbsErr: number;
  /** Largest |reference output| (scale for the relative int8 bound). */
  maxAbsRef: number;
  bound: number;
  ok: boolean;
  /** Decoder: fraction of positions where ORT's ids equal the reference argmax (ar_decoder: of rows × prefix lengths). */
  idsAgree?: number;
  /** ar_decoder: the prefix lengths T checked. */
  prefixLengths?: number[];
  /** ar_memory/ar_step: the positions decoded with the cache (every one of 0..L − 1). */
  positions?: number;
  /** ar_memory: its outputs are checked through this graph's results (they feed ar_step). */
  via?: string;
  /** int8 denoiser: the parity measurement (maxAbsErr/maxAbsRef/bound are its worst t). */
  int8?: Int8ParityReport;
}

export interface VerifyReport {
  ok: boolean;
  artifact: string;
  reference: ReferenceForward["kind"];
  /** Set when `--reference auto` could not use TF.js and fell back to the JS reference: why. */
  referenceNote?: string;
  graphs: Record<string, GraphReport>;
  shapes: { B: number; L: number; S?: number };
  /** The CPU the graphs ran on (int8 results depend on its instruction set). */
  cpu: CpuInfo;
}

export interface VerifyOptions {
  seed?: number;
  batch?: number;
  length?: number;
  reference?: "auto" | "tfjs" | "js";
  /** int8 parity: sampling steps and samples (default 50 and 8). */
  int8Steps?: number;
  int8Samples?: number;
  /** Compare against these weights instead of the stored ones (measures fp16 storage error). */
  weights?: ReadonlyMap<string, WeightTensor>;
  /** Called after each graph (the CLI prints a line per graph: small models take seconds each). */
  onGraph?: (role: string, report: GraphReport, done: number, total: number) => void;
}

export class VerifyError extends Error {}

/** The weight map stored in the artifact's float graphs (fp16 storage widened to float32). */
export function weightsFromArtifact(dir: string, m: Manifest): Map<string, WeightTensor> {
  const wanted = weightShapes(m.config);
  const out = new Map<string, WeightTensor>();
  for (const [role, g] of Object.entries(m.graphs)) {
    if (!g || g.dtype === "int8") continue;
    for (const t of readInitializers(join(dir, g.file))) {
      if (!wanted.has(t.name) || out.has(t.name)) continue;
      const data = tensorAsFloat32(t);
      if (!data) throw new VerifyError(`${role}: weight ${t.name} has non-float storage`);
      out.set(t.name, { shape: t.dims, data });
    }
  }
  return out;
}

function resolveShape(spec: TensorSpec, dims: Record<string, number>): number[] {
  return spec.shape.map((d) => (typeof d === "number" ? d : dims[d]));
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new VerifyError(`output has ${a.length} values, the reference ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

function tensorOf(t: Tensor64): ort.Tensor {
  return new ort.Tensor("float32", Float32Array.from(t.data), t.shape);
}

function random(shape: number[], rnd: () => number, scale = 1): Tensor64 {
  const n = shape.reduce((a, b) => a * b, 1);
  // float32-rounded so the reference sees exactly what the graph sees
  return { shape, data: Float64Array.from(Float32Array.from({ length: n }, () => scale * rnd())) };
}

/** Dynamic axes: the graph also runs at another batch/length and gives the manifest's shapes there. */
async function checkOtherShape(session: ort.InferenceSession, g: GraphEntry, cfg: ModelConfig, dims: Record<string, number>): Promise<void> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const spec of g.inputs) {
    const shape = resolveShape(spec, dims);
    const n = shape.reduce((a, b) => a * b, 1);
    feeds[spec.name] =
      spec.dtype === "int64"
        ? new ort.Tensor("int64", BigInt64Array.from({ length: n }, (_, i) => BigInt(i % cfg.vocabSize)), shape)
        : new ort.Tensor("float32", new Float32Array(n).fill(spec.name.endsWith("mask") ? 1 : 0.5), shape);
  }
  const out = await session.run(feeds);
  for (const spec of g.outputs) {
    const want = resolveShape(spec, dims).join(",");
    if (out[spec.name].dims.join(",") !== want) throw new VerifyError(`${g.file}: at ${JSON.stringify(dims)} output ${spec.name} has shape [${out[spec.name].dims}], expected [${want}]`);
  }
}

/** Index of the largest of `n` values of `a` from `off` (the first one on ties, as ONNX ArgMax). */
function argmaxAt(a: ArrayLike<number>, off: number, n: number): number {
  let best = 0;
  for (let v = 1; v < n; v++) if (a[off + v] > a[off + best]) best = v;
  return best;
}

/**
 * ar_decoder at prefix lengths 1, ⌈L/2⌉ and L: rows of `prefix` (`[B, L]`, BOS first) cut to T
 * tokens; next_logits `[B, V]` against the reference's logits at position T − 1, next_ids against
 * their argmax.
 */
async function verifyArDecoder(session: ort.InferenceSession, g: GraphEntry, ref: ReferenceForward, latents: Tensor64, prefix: number[], cfg: ModelConfig, dims: Record<string, number>): Promise<GraphReport> {
  const [B, L] = latents.shape;
  const V = cfg.vocabSize;
  const lengths = [...new Set([1, Math.ceil(L / 2), L])];
  let err = 0;
  let scale = 0;
  let agree = 0;
  for (const T of lengths) {
    const ids = Array.from({ length: B * T }, (_, i) => prefix[Math.floor(i / T) * L + (i % T)]);
    const out = await session.run({ latents: tensorOf(latents), tokens: new ort.Tensor("int64", BigInt64Array.from(ids, (v) => BigInt(v)), [B, T]) });
    for (const spec of g.outputs) {
      const want = resolveShape(spec, { ...dims, T });
      if (out[spec.name].dims.join(",") !== want.join(",")) throw new VerifyError(`${g.file}: at T = ${T} output ${spec.name} has shape [${out[spec.name].dims}], manifest says [${want}]`);
    }
    const logits = await ref.arDecode(latents, ids, T);
    const expected = new Float64Array(B * V);
    for (let b = 0; b < B; b++) for (let v = 0; v < V; v++) expected[b * V + v] = logits[(b * T + T - 1) * V + v];
    err = Math.max(err, maxAbsDiff(out.next_logits.data as Float32Array, expected));
    scale = Math.max(scale, maxAbs(expected));
    const next = out.next_ids.data as BigInt64Array;
    for (let b = 0; b < B; b++) if (Number(next[b]) === argmaxAt(expected, b * V, V)) agree++;
  }
  return { precision: g.dtype, maxAbsErr: err, maxAbsRef: scale, bound: FP32_BOUND, ok: err <= FP32_BOUND, idsAgree: agree / (B * lengths.length), prefixLengths: lengths };
}

/** Zero-length past keys/values `[B, H, 0, dh]` for ar_step's first position, shaped like `cross` `[B, H, L, dh]`. */
function emptyPast(cross: ort.Tensor): ort.Tensor {
  const [B, H, , dh] = cross.dims;
  return new ort.Tensor("float32", new Float32Array(0), [B, H, 0, dh]);
}

/** ar_memory's outputs and empty pasts: the feeds of ar_step at position 0 (token excepted). */
async function arCacheStart(mem: ort.InferenceSession, step: ort.InferenceSession, latents: ort.Tensor): Promise<Record<string, ort.Tensor>> {
  const feeds: Record<string, ort.Tensor> = { ...(await mem.run({ latents })) };
  const cross = feeds.cross_k_0;
  if (!cross) throw new VerifyError("ar_memory has no output cross_k_0");
  for (const n of step.inputNames) if (n.startsWith("past_")) feeds[n] = emptyPast(cross);
  return feeds;
}

function checkShapes(out: ort.InferenceSession.OnnxValueMapType, g: GraphEntry, dims: Record<string, number>, where: string): void {
  for (const spec of g.outputs) {
    const want = resolveShape(spec, dims).join(",");
    if (out[spec.name].dims.join(",") !== want) throw new VerifyError(`${g.file}: ${where} output ${spec.name} has shape [${out[spec.name].dims}], manifest says [${want}]`);
  }
}

/**
 * ArDec's KV-cached pair, teacher-forced: ar_memory on the latents, then ar_step at positions
 * P = 0..L − 1 with token `prefix[:, P]` and the previous step's present keys/values as its past;
 * each next_logits `[B, V]` against the reference's logits at position P (one teacher-forced
 * reference call over the whole prefix: causality makes position P depend on tokens ≤ P only),
 * next_ids against their argmax. Then a few steps at another batch and length (dynamic axes).
 */
async function verifyArCached(mem: ort.InferenceSession, step: ort.InferenceSession, gm: GraphEntry, gs: GraphEntry, ref: ReferenceForward, latents: Tensor64, prefix: number[], cfg: ModelConfig): Promise<GraphReport> {
  const [B, L] = latents.shape;
  const V = cfg.vocabSize;
  const logits = await ref.arDecode(latents, prefix, L);
  let feeds = await arCacheStart(mem, step, tensorOf(latents));
  checkShapes(feeds, gm, { B, L }, "");
  let err = 0;
  let scale = 0;
  let agree = 0;
  const runSteps = async (b: number, len: number, steps: number, tokenAt: (row: number, pos: number) => number, each?: (out: ort.InferenceSession.OnnxValueMapType, pos: number) => void) => {
    for (let P = 0; P < steps; P++) {
      const token = new ort.Tensor("int64", BigInt64Array.from({ length: b }, (_, r) => BigInt(tokenAt(r, P))), [b, 1]);
      const out = await step.run({ ...feeds, token });
      checkShapes(out, gs, { B: b, L: len, P, "P+1": P + 1 }, `at B = ${b}, L = ${len}, position ${P}`);
      for (const n of step.inputNames) if (n.startsWith("past_")) feeds[n] = out[n.replace(/^past_/, "present_")];
      each?.(out, P);
    }
  };
  await runSteps(B, L, L, (r, P) => prefix[r * L + P], (out, P) => {
    const expected = new Float64Array(B * V);
    for (let b = 0; b < B; b++) for (let v = 0; v < V; v++) expected[b * V + v] = logits[(b * L + P) * V + v];
    err = Math.max(err, maxAbsDiff(out.next_logits.data as Float32Array, expected));
    scale = Math.max(scale, maxAbs(expected));
    const next = out.next_ids.data as BigInt64Array;
    for (let b = 0; b < B; b++) if (Number(next[b]) === argmaxAt(expected, b * V, V)) agree++;
  });
  // Dynamic axes: batch 1 at half the length, a few positions.
  const half = Math.max(1, L >> 1);
  feeds = await arCacheStart(mem, step, new ort.Tensor("float32", new Float32Array(half * cfg.latentDim).fill(0.5), [1, half, cfg.latentDim]));
  checkShapes(feeds, gm, { B: 1, L: half }, "at B = 1, L = " + half);
  await runSteps(1, half, Math.min(half, 3), (_, P) => (P === 0 ? BOS_ID : P % V));
  return { precision: gs.dtype, maxAbsErr: err, maxAbsRef: scale, bound: FP32_BOUND, ok: err <= FP32_BOUND, idsAgree: agree / (B * L), positions: L };
}

/**
 * Runs every check; throws ArtifactError (core: manifest schema, sizes, sha256) or VerifyError (graph
 * I/O names, output shapes) and reports parity per graph.
 */
export async function verifyArtifact(dir: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const m = await readArtifact(dir);
  const cfg: ModelConfig = m.config;
  const weights = opts.weights ?? weightsFromArtifact(dir, m);
  const norm: NormState = { kind: m.normalization.kind, mean: m.normalization.mean, sq: m.normalization.sq };
  const chosen = await chooseReference(opts.reference ?? "auto", cfg, weights, norm);
  const ref = chosen.forward;
  const rnd = gaussian(opts.seed ?? 1234);
  const B = opts.batch ?? 2;
  const L = opts.length ?? cfg.maxLen;
  const S = condMaxLenOf(cfg);
  const dims: Record<string, number> = { B, L, S, T: L };
  const report: VerifyReport = { ok: true, artifact: dir, reference: ref.kind, ...(chosen.note ? { referenceNote: chosen.note } : {}), graphs: {}, shapes: { B, L, ...(cfg.task === "summarize" ? { S } : {}) }, cpu: cpuInfo() };

  // Shared random inputs.
  const tokens = (n: number): number[] => Array.from({ length: n }, () => Math.floor(Math.abs(rnd()) * 1e6) % cfg.vocabSize);
  const xt = random([B, L, cfg.latentDim], rnd);
  const xsc = random([B, L, cfg.latentDim], rnd, 0.5);
  const t = Float32Array.from({ length: B }, (_, i) => (i + 0.5) / B);
  let cond: CondInput | undefined;
  if (cfg.task === "summarize") {
    // row i keeps S − i·⌊S/3⌋ real positions (padding exercised, never empty)
    const keep = (i: number): number => Math.max(1, S - i * Math.floor(S / 3));
    cond = { cond: random([B, S, cfg.condEnc.dModel], rnd), mask: { shape: [B, S], data: Float64Array.from({ length: B * S }, (_, i) => (i % S < keep(Math.floor(i / S)) ? 1 : 0)) } };
  }
  let fp32Denoised: ArrayLike<number> | null = null;
  const denoisedRef = async (): Promise<ArrayLike<number>> => (fp32Denoised ??= await ref.denoise(xt, xsc, t, cond));

  // ar_memory or ar_step opened while waiting for the other of the pair.
  const pending = new Map<string, ort.InferenceSession>();
  try {
    for (const [role, g] of Object.entries(m.graphs)) {
      if (!g) continue;
      const session = await createSession(join(dir, g.file));
      const names = (s: readonly string[]): string => s.join(",");
      if (names(session.inputNames) !== names(g.inputs.map((i) => i.name)) || names(session.outputNames) !== names(g.outputs.map((o) => o.name))) {
        throw new VerifyError(`${g.file}: graph I/O (${names(session.inputNames)} → ${names(session.outputNames)}) differs from the manifest`);
      }
      if (role === "ar_memory" || role === "ar_step") {
        // The pair is checked once, when its second graph comes up (the manifest requires both).
        const other = role === "ar_memory" ? "ar_step" : "ar_memory";
        const og = m.graphs[other];
        if (!og) throw new VerifyError(`${role} without ${other}`);
        if (!pending.has(other)) {
          pending.set(role, session);
          continue;
        }
        const otherSession = pending.get(other)!;
        pending.delete(other);
        const [mem, step] = role === "ar_step" ? [otherSession, session] : [session, otherSession];
        const prefix = tokens(B * L).map((v, i) => (i % L === 0 ? BOS_ID : v));
        const r = await verifyArCached(mem, step, m.graphs.ar_memory!, m.graphs.ar_step!, ref, xt, prefix, cfg);
        await Promise.all([mem.release(), step.release()]);
        report.graphs.ar_memory = { ...r, precision: m.graphs.ar_memory!.dtype, via: "ar_step" };
        report.graphs.ar_step = r;
        report.ok &&= r.ok;
        opts.onGraph?.("ar_memory", report.graphs.ar_memory, Object.keys(report.graphs).length - 1, Object.keys(m.graphs).length);
        opts.onGraph?.("ar_step", r, Object.keys(report.graphs).length, Object.keys(m.graphs).length);
        continue;
      }
      if (role === "ar_decoder") {
        // BOS then random tokens: the prefixes of every length are the first T columns.
        const prefix = tokens(B * L).map((v, i) => (i % L === 0 ? BOS_ID : v));
        const r = await verifyArDecoder(session, g, ref, xt, prefix, cfg, dims);
        const half = Math.max(1, L >> 1);
        await checkOtherShape(session, g, cfg, { B: 1, L: half, S: Math.max(1, S >> 1), T: Math.max(1, half >> 1) });
        await session.release();
        report.graphs[role] = r;
        report.ok &&= r.ok;
        opts.onGraph?.(role, r, Object.keys(report.graphs).length, Object.keys(m.graphs).length);
        continue;
      }
      let feeds: Record<string, ort.Tensor>;
      let expected: ArrayLike<number>;
      const tok = (n: number, shape: number[]): { ids: number[]; tensor: ort.Tensor } => {
        const ids = tokens(n);
        return { ids, tensor: new ort.Tensor("int64", BigInt64Array.from(ids, (v) => BigInt(v)), shape) };
      };
      const role0 = role === "denoiser_int8" ? "denoiser" : role;
      switch (role0) {
        case "encoder": {
          const { ids, tensor } = tok(B * L, [B, L]);
          feeds = { tokens: tensor };
          expected = await ref.encode(ids, B, L);
          break;
        }
        case "denoiser":
          feeds = { x_t: tensorOf(xt), x_sc: tensorOf(xsc), t: new ort.Tensor("float32", t, [B]) };
          if (cond) Object.assign(feeds, { cond: tensorOf(cond.cond), cond_mask: tensorOf(cond.mask) });
          expected = await denoisedRef();
          break;
        case "decoder":
          feeds = { latents: tensorOf(xt) };
          expected = await ref.decode(xt);
          break;
        case "cond_encoder": {
          const mask = cond?.mask ?? { shape: [B, S], data: new Float64Array(B * S).fill(1) };
          const { ids, tensor } = tok(B * S, [B, S]);
          feeds = { tokens: tensor, mask: tensorOf(mask) };
          expected = await ref.encodeCondition(ids, mask);
          break;
        }
        default:
          throw new VerifyError(`unknown graph role ${role}`);
      }
      const out = await session.run(feeds);
      for (const spec of g.outputs) {
        const want = resolveShape(spec, dims);
        if (names(out[spec.name].dims.map(String)) !== names(want.map(String))) {
          throw new VerifyError(`${g.file}: output ${spec.name} has shape [${out[spec.name].dims}], manifest says [${want}]`);
        }
      }
      await checkOtherShape(session, g, cfg, { B: 1, L: Math.max(1, L >> 1), S: Math.max(1, S >> 1), T: 1 });
      const main = out[g.outputs[0].name].data as Float32Array;
      const err = maxAbsDiff(main, expected);
      const scale = maxAbs(expected);
      let r: GraphReport = { precision: g.dtype, maxAbsErr: err, maxAbsRef: scale, bound: FP32_BOUND, ok: err <= FP32_BOUND };
      if (g.dtype === "int8") {
        await session.release();
        const { report: p } = await measureInt8Parity(dir, { steps: opts.int8Steps, samples: opts.int8Samples });
        const worst = p.x0.perT.reduce((a, b) => (b.relErr > a.relErr ? b : a));
        r = { precision: g.dtype, maxAbsErr: worst.maxAbsErr, maxAbsRef: worst.maxAbsRef, bound: p.x0.bound * worst.maxAbsRef, ok: p.ok, int8: p };
      }
      if (role === "decoder") {
        const ids = out.ids.data as BigInt64Array;
        let agree = 0;
        for (let p = 0; p < ids.length; p++) if (Number(ids[p]) === argmaxAt(expected, p * cfg.vocabSize, cfg.vocabSize)) agree++;
        r.idsAgree = agree / ids.length;
      }
      if (role === "cond_encoder") {
        const nul = out.null_cond.data as Float32Array;
        const stored = weights.get("cond.null");
        if (!stored || maxAbsDiff(nul, stored.data) > 0) throw new VerifyError("cond_encoder: null_cond differs from the stored cond.null");
      }
      report.graphs[role] = r;
      report.ok &&= r.ok;
      opts.onGraph?.(role, r, Object.keys(report.graphs).length, Object.keys(m.graphs).length);
      if (g.dtype !== "int8") await session.release();
    }
  } finally {
    for (const s of pending.values()) await s.release();
    ref.dispose?.();
  }
  return report;
}
