// A model version's ONNX graphs as the scheduler's ModelBackend, in-process: the MODEL-SPEC graph
// inputs built from the scheduler's flat arrays (denoiser x_t/x_sc/t[/cond/cond_mask], decoder
// latents → ids or ArDec's greedy loop (KV-cached over ar_memory + ar_step, or uncached over
// ar_decoder), cond_encoder tokens/mask → cond/null_cond) and the per-step sampler update. The
// server's engine worker thread runs one; offline sampling (export's sampleArtifact) runs one on
// its own thread, so both sample through the same code.
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { modelShape } from "../config.ts";
import type { ModelShape } from "../config.ts";
import { type DecoderChoice, type GraphRole, type Manifest, arDecoderRoles, servedDecoder } from "../manifest.ts";
import { BOS_ID, EOS_ID, PAD_ID } from "../tokenizer.ts";
import { applySampler, initLatents } from "../scheduler/apply.ts";
import { clampsAt } from "../scheduler/batch.ts";
import type { ConditionEncoding, DenoiseBatch, ModelBackend, SamplingMath, StepBatch, StepResult } from "../scheduler/types.ts";
import { createSession } from "./session.ts";
import type { SessionOptions } from "./session.ts";

export interface OrtSessions {
  denoiser: ort.InferenceSession;
  decoder: ort.InferenceSession;
  /** Summarize models only. */
  condEncoder?: ort.InferenceSession;
  /** The text encoder (tokens → normalized x0): only latent clamping runs it. */
  encoder?: ort.InferenceSession;
  /** ArDec's uncached one-step graph (`ar_decoder`): when given (and no cached pair), `decode` decodes greedily with it. */
  arDecoder?: ort.InferenceSession;
  /** ArDec's KV-cached pair (`ar_memory` + `ar_step`): when given, `decode` decodes greedily with it (preferred over arDecoder). */
  arCached?: { memory: ort.InferenceSession; step: ort.InferenceSession };
}

/** The denoiser's feeds for a batch (views on the batch's arrays, no copy). */
export function denoiserFeeds(b: DenoiseBatch, shape: ModelShape): Record<string, ort.Tensor> {
  const { L, d, condDim } = shape;
  const feeds: Record<string, ort.Tensor> = {
    x_t: new ort.Tensor("float32", b.x, [b.rows, L, d]),
    x_sc: new ort.Tensor("float32", b.xsc, [b.rows, L, d]),
    t: new ort.Tensor("float32", b.t, [b.rows]),
  };
  if (condDim > 0) {
    if (!b.cond) throw new Error("a conditional model needs cond inputs");
    feeds.cond = new ort.Tensor("float32", b.cond.data, [b.rows, b.cond.S, condDim]);
    feeds.cond_mask = new ort.Tensor("float32", b.cond.mask, [b.rows, b.cond.S]);
  }
  return feeds;
}

/** The condition encoder's feeds for one document's tokens (all real: mask 1). */
export function condEncoderFeeds(tokens: Int32Array): Record<string, ort.Tensor> {
  const len = tokens.length;
  return {
    tokens: new ort.Tensor("int64", BigInt64Array.from(tokens, (v) => BigInt(v)), [1, len]),
    mask: new ort.Tensor("float32", new Float32Array(len).fill(1), [1, len]),
  };
}

export class OrtModel implements ModelBackend {
  readonly L: number;
  readonly d: number;
  readonly condDim: number;

  constructor(
    private readonly sessions: OrtSessions,
    shape: ModelShape,
    /** The model's schedule (and tEnd): the sampler update of `step`. */
    private readonly math: SamplingMath,
  ) {
    ({ L: this.L, d: this.d, condDim: this.condDim } = shape);
  }

  /** x̂0 `[rows, L, d]` of the denoiser alone (ORT's output buffer: copy it to keep or transfer it). */
  async denoise(b: DenoiseBatch): Promise<Float32Array> {
    const out = await this.sessions.denoiser.run(denoiserFeeds(b, this), ["x0_hat"]);
    return out.x0_hat.data as Float32Array;
  }

  /** Whether samples can ask for latent clamping (the encoder graph is loaded). */
  get canClamp(): boolean {
    return this.sessions.encoder !== undefined;
  }

  /** Step 0's initial noise into `b.x` (in place), the denoiser, then every sample's update. */
  async step(b: StepBatch): Promise<StepResult> {
    const ld = this.L * this.d;
    initLatents(b, this.math, ld);
    const res = applySampler(await this.denoise(b), b, this.math, ld);
    await this.clamp(b, res, ld);
    return res;
  }

  /**
   * Latent clamping, the latent analogue of Diffusion-LM's clamping trick (Li et al. 2022, §4.2):
   * samples whose t ≤ their `clamp` step with x̂0 ← Enc(argmax Dec(x̂0)) instead of x̂0, i.e. the
   * latent of the text x̂0 currently decodes to. The update of those samples is redone with it (same
   * noise), and it is the x̂0 the next step self-conditions on and the last step decodes.
   */
  private async clamp(b: StepBatch, res: StepResult, ld: number): Promise<void> {
    const picked = b.samples.flatMap((p, i) => (clampsAt(p.clamp, p.t) ? [i] : []));
    if (picked.length === 0) return;
    const encoder = this.sessions.encoder;
    if (!encoder) throw new Error("latent clamping needs the encoder graph, which this model did not load");
    const rows = picked.length;
    const x0 = new Float32Array(rows * ld);
    picked.forEach((i, j) => x0.set(res.x0.subarray(i * ld, (i + 1) * ld), j * ld));
    const dec = await this.sessions.decoder.run({ latents: new ort.Tensor("float32", x0, [rows, this.L, this.d]) }, ["ids"]);
    const enc = await encoder.run({ tokens: new ort.Tensor("int64", dec.ids.data as BigInt64Array, [rows, this.L]) }, ["x0"]);
    const clamped = enc.x0.data as Float32Array;
    picked.forEach((i, j) => {
      const p = b.samples[i];
      const x0i = res.x0.subarray(i * ld, (i + 1) * ld);
      x0i.set(clamped.subarray(j * ld, (j + 1) * ld));
      const noise = p.sampler === "sde" ? this.math.noise(p.seed, p.step + 1, p.sample, ld) : null;
      this.math.step(p.sampler, b.x.subarray(p.row * ld, (p.row + 1) * ld), x0i, p.t, p.s, noise, res.x.subarray(i * ld, (i + 1) * ld));
    });
  }

  /** The decoder `decode` runs: `ar` (ArDec, greedy, L calls at most) or `nar` (Dec, one call). */
  get decoder(): "ar" | "nar" {
    return this.sessions.arCached || this.sessions.arDecoder ? "ar" : "nar";
  }

  /** Token ids `[rows, L]`: Dec's argmax, or ArDec's greedy decode (decodeCached, else decodeGreedy). */
  async decode(latents: Float32Array, rows: number): Promise<Int32Array> {
    if (this.sessions.arCached) return this.decodeCached(this.sessions.arCached.memory, this.sessions.arCached.step, latents, rows);
    if (this.sessions.arDecoder) return this.decodeGreedy(this.sessions.arDecoder, latents, rows);
    const out = await this.sessions.decoder.run({ latents: new ort.Tensor("float32", latents, [rows, this.L, this.d]) }, ["ids"]);
    return Int32Array.from(out.ids.data as BigInt64Array, (v) => Number(v));
  }

  /**
   * ArDec's greedy decode (MODEL-SPEC "ArDec"): step T = 1..L feeds the tokens `[rows, T]` (BOS,
   * then the T − 1 chosen so far) and appends `next_ids`. A row is finished once it emits EOS or PAD
   * (the tokenizer cuts there); its later positions are PAD, and the loop stops when every row is
   * finished. The graph has no KV cache: step T recomputes the whole prefix (decodeCached does not).
   */
  private async decodeGreedy(s: ort.InferenceSession, latents: Float32Array, rows: number): Promise<Int32Array> {
    const L = this.L;
    const lat = new ort.Tensor("float32", latents, [rows, L, this.d]);
    const out = new Int32Array(rows * L).fill(PAD_ID);
    const prev = new BigInt64Array(rows * L).fill(BigInt(PAD_ID)); // the inputs: row r's tokens at r·L
    for (let r = 0; r < rows; r++) prev[r * L] = BigInt(BOS_ID);
    const done = new Uint8Array(rows);
    let open = rows;
    for (let T = 1; T <= L && open > 0; T++) {
      let tokens = prev;
      if (T < L) {
        tokens = new BigInt64Array(rows * T);
        for (let r = 0; r < rows; r++) tokens.set(prev.subarray(r * L, r * L + T), r * T);
      }
      const res = await s.run({ latents: lat, tokens: new ort.Tensor("int64", tokens, [rows, T]) }, ["next_ids"]);
      const next = res.next_ids.data as BigInt64Array;
      for (let r = 0; r < rows; r++) {
        if (done[r]) continue;
        const id = Number(next[r]);
        out[r * L + T - 1] = id;
        if (T < L) prev[r * L + T] = next[r];
        if (id === EOS_ID || id === PAD_ID) {
          done[r] = 1;
          open--;
        }
      }
    }
    return out;
  }

  /**
   * ArDec's greedy decode with the KV cache (MODEL-SPEC "ArDec"), the same rule as decodeGreedy:
   * ar_memory once (memory and every layer's cross-attention keys/values), then ar_step at
   * positions 0..L − 1 with the token at that position (BOS, then the previous choice; PAD for a
   * finished row, whose outputs are ignored) and the past self-attention keys/values, empty at
   * position 0 and the previous step's present ones after. One trunk position per step instead of
   * the whole prefix. Cache names come from the step graph's own inputs, so the layer count is
   * not needed here.
   */
  private async decodeCached(mem: ort.InferenceSession, step: ort.InferenceSession, latents: Float32Array, rows: number): Promise<Int32Array> {
    const L = this.L;
    const feeds: Record<string, ort.Tensor> = { ...(await mem.run({ latents: new ort.Tensor("float32", latents, [rows, L, this.d]) })) };
    const pasts = step.inputNames.filter((n) => n.startsWith("past_"));
    const cross = feeds[mem.outputNames.find((n) => n.startsWith("cross_k_")) ?? ""];
    if (!cross || cross.dims.length !== 4 || pasts.length === 0) throw new Error("ar_memory/ar_step: expected cross_k_* [B, H, L, dh] outputs and past_* inputs");
    const [, heads, , dh] = cross.dims;
    for (const n of pasts) feeds[n] = new ort.Tensor("float32", new Float32Array(0), [rows, heads, 0, dh]);
    const out = new Int32Array(rows * L).fill(PAD_ID);
    const token = new BigInt64Array(rows).fill(BigInt(BOS_ID));
    const done = new Uint8Array(rows);
    let open = rows;
    for (let pos = 0; pos < L && open > 0; pos++) {
      feeds.token = new ort.Tensor("int64", token, [rows, 1]);
      const res = await step.run(feeds);
      for (const n of pasts) feeds[n] = res[n.replace(/^past_/, "present_")];
      const next = res.next_ids.data as BigInt64Array;
      for (let r = 0; r < rows; r++) {
        if (done[r]) continue;
        const id = Number(next[r]);
        out[r * L + pos] = id;
        if (id === EOS_ID || id === PAD_ID) {
          done[r] = 1;
          open--;
          token[r] = BigInt(PAD_ID);
        } else token[r] = next[r];
      }
    }
    return out;
  }

  async encodeCondition(tokens: Int32Array): Promise<ConditionEncoding> {
    const s = this.sessions.condEncoder;
    if (!s) throw new Error("this model has no condition encoder");
    const out = await s.run(condEncoderFeeds(tokens), ["cond", "null_cond"]);
    return { cond: new Float32Array(out.cond.data as Float32Array), len: tokens.length, nullCond: new Float32Array(out.null_cond.data as Float32Array) };
  }

  async release(): Promise<void> {
    const { denoiser, decoder, condEncoder, encoder, arDecoder, arCached } = this.sessions;
    await Promise.all([denoiser.release(), decoder.release(), condEncoder?.release(), encoder?.release(), arDecoder?.release(), arCached?.memory.release(), arCached?.step.release()]);
  }
}

export interface ArtifactModelOptions extends SessionOptions {
  /** Which denoiser graph: the float one (default) or the artifact's int8 `denoiser_int8`. */
  denoiser?: "fp32" | "int8";
  /** Run this denoiser graph file instead of the manifest's (e.g. an int8 candidate being measured). */
  denoiserFile?: string;
  /**
   * Which decoder `decode` runs: auto (default) = ArDec when the manifest lists its graphs, else Dec;
   * nar = Dec; ar = ArDec (throws on an artifact without them). ArDec runs the KV-cached pair
   * (ar_memory + ar_step) when the artifact has it, else ar_decoder (core's arDecoderRoles).
   */
  decoder?: DecoderChoice;
  /** Load the encoder graph so that samples can ask for latent clamping (throws when the artifact has none). */
  encoder?: boolean;
}

/** An artifact folder's graphs (the ones its task samples with) as an OrtModel. */
export async function openArtifactModel(dir: string, m: Manifest, math: SamplingMath, o: ArtifactModelOptions = {}): Promise<OrtModel> {
  const { denoiser = "fp32", denoiserFile, decoder = "auto", encoder = false, ...session } = o;
  let ar: boolean;
  try {
    ar = servedDecoder(m, decoder) === "ar";
  } catch (e) {
    throw new Error(`${dir}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const path = (role: GraphRole): string => {
    const g = m.graphs[role];
    if (!g) throw new Error(`${dir}: the manifest lists no ${role} graph`);
    return join(dir, g.file);
  };
  const opened: ort.InferenceSession[] = [];
  const open = async (file: string) => {
    const s = await createSession(file, session);
    opened.push(s);
    return s;
  };
  try {
    const sessions: OrtSessions = {
      denoiser: await open(denoiserFile ?? path(denoiser === "int8" ? "denoiser_int8" : "denoiser")),
      decoder: await open(path("decoder")),
      ...(m.task === "summarize" ? { condEncoder: await open(path("cond_encoder")) } : {}),
      ...(encoder ? { encoder: await open(path("encoder")) } : {}),
    };
    if (ar) {
      if (arDecoderRoles(m)[0] === "ar_memory") sessions.arCached = { memory: await open(path("ar_memory")), step: await open(path("ar_step")) };
      else sessions.arDecoder = await open(path("ar_decoder"));
    }
    return new OrtModel(sessions, modelShape(m.config), math);
  } catch (e) {
    await Promise.all(opened.map((s) => s.release()));
    throw e;
  }
}
