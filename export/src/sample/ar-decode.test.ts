// ArDec at run time: core's OrtModel decodes greedily with the artifact's ArDec graphs — the
// KV-cached pair (ar_memory once, ar_step once per position) when the artifact has it, else the
// uncached ar_decoder (one whole-prefix call per position) — BOS first, stopping once every row has
// emitted EOS or PAD. Both must give the tokens of a step-by-step greedy decode with training's
// TF.js ArDecoder (argmax of the last position's logits at each step, the same stop rule), with
// early stops and with every position decoded. Also: the decoder choice of openArtifactModel and
// sampleArtifact, and what an artifact without ArDec says when ArDec is asked for.
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BOS_ID, EOS_ID, PAD_ID, coreMath, readArtifact } from "@ldtext/core";
import type { GraphRole, ModelConfig, NormState, WeightTensor } from "@ldtext/core";
import type { InferenceSession } from "onnxruntime-node";
import { OrtModel, createSession, openArtifactModel } from "@ldtext/core/onnx";
import { writeArtifact, writeRandomArtifact } from "../artifact/write.ts";
import type { GraphName } from "../networks/graphs.ts";
import { gaussian, randomWeights } from "../networks/weights.ts";
import type { Tensor64 } from "../reference/forward.ts";
import { asF32, placeholderVocabulary, randomTensor, tinyConfig } from "../testing.ts";
import { tfjsReference } from "../verify/reference.ts";
import type { ReferenceForward } from "../verify/reference.ts";
import { sampleArtifact } from "./sample.ts";

const tmp = (): string => mkdtempSync(join(tmpdir(), "ldtext-ardec-"));
const cfg: ModelConfig = tinyConfig("generate", { vocabSize: 300, arDec: { dModel: 24, heads: 2, layers: 2, ffn: 48 } });
const L = cfg.maxLen;
const V = cfg.vocabSize;
const norm: NormState = { kind: "data", mean: new Array<number>(cfg.latentDim).fill(0), sq: new Array<number>(cfg.latentDim).fill(1) };

/** Random weights with `ard.lm_head.b[EOS]` raised by `eosBias` (rows then stop at different steps). */
function weightsWithEos(seed: number, eosBias: number): Map<string, WeightTensor> {
  const w = randomWeights(cfg, seed);
  const b = w.get("ard.lm_head.b")!;
  const data = Float32Array.from(b.data);
  data[EOS_ID] += eosBias;
  w.set("ard.lm_head.b", { shape: b.shape, data });
  return w;
}

/** An artifact with Dec and both ArDec exports: the cached pair and the uncached ar_decoder (default graphs: the pair only). */
async function artifact(weights: Map<string, WeightTensor>, graphs: GraphName[] = ["denoiser", "decoder", "ar_decoder", "ar_memory", "ar_step"]): Promise<string> {
  const { dir } = await writeArtifact({ config: cfg, weights, vocabulary: placeholderVocabulary(V), norm, outDir: join(tmp(), "m"), graphs, training: { command: "test", seconds: 0, steps: 0, finalLosses: {} } });
  return dir;
}

/** `ard.lm_head.b[EOS]` and `[PAD]` pushed far down: no row stops, every position decodes. */
function weightsWithoutStop(seed: number): Map<string, WeightTensor> {
  const w = randomWeights(cfg, seed);
  const b = w.get("ard.lm_head.b")!;
  const data = Float32Array.from(b.data);
  data[EOS_ID] = data[PAD_ID] = -1e4;
  w.set("ard.lm_head.b", { shape: b.shape, data });
  return w;
}

/** Counts a session's run calls (wraps run in place). */
function counted(s: InferenceSession): { calls: number } {
  const c = { calls: 0 };
  const run = s.run.bind(s);
  s.run = ((...args: Parameters<typeof run>) => {
    c.calls++;
    return run(...args);
  }) as typeof s.run;
  return c;
}

/** The artifact's ArDec as the two OrtModels: over the cached pair and over ar_decoder, plus their ArDec sessions (to count calls). */
async function bothDecoders(dir: string) {
  const m = await readArtifact(dir);
  const open = (role: GraphRole) => createSession(join(dir, m.graphs[role]!.file), { threads: 1 });
  const shape = { L, d: cfg.latentDim, condDim: 0 };
  const math = coreMath(cfg.schedule);
  const arCached = { memory: await open("ar_memory"), step: await open("ar_step") };
  const arDecoder = await open("ar_decoder");
  return {
    cached: new OrtModel({ denoiser: await open("denoiser"), decoder: await open("decoder"), arCached }, shape, math),
    uncached: new OrtModel({ denoiser: await open("denoiser"), decoder: await open("decoder"), arDecoder }, shape, math),
    arCached,
    arDecoder,
  };
}

/** Greedy decoding written out with the reference's teacher-forced forward: at step T, argmax of position T − 1. */
async function greedyReference(ref: ReferenceForward, lat: Tensor64, rows: number): Promise<Int32Array> {
  const out = new Int32Array(rows * L).fill(PAD_ID);
  const seqs = Array.from({ length: rows }, () => [BOS_ID]);
  const finished = new Array<boolean>(rows).fill(false);
  for (let T = 1; T <= L && finished.includes(false); T++) {
    const logits = await ref.arDecode(lat, seqs.flatMap((s) => s.slice(0, T)), T);
    for (let r = 0; r < rows; r++) {
      let best = 0;
      const off = (r * T + T - 1) * V;
      for (let v = 1; v < V; v++) if (logits[off + v] > logits[off + best]) best = v;
      if (!finished[r]) out[r * L + T - 1] = best;
      seqs[r].push(finished[r] ? PAD_ID : best);
      if (best === EOS_ID || best === PAD_ID) finished[r] = true;
    }
  }
  return out;
}

/** The position of the first EOS/PAD of each row (L when none). */
const stops = (ids: Int32Array, rows: number): number[] =>
  Array.from({ length: rows }, (_, r) => {
    const i = Array.from(ids.subarray(r * L, (r + 1) * L)).findIndex((v) => v === EOS_ID || v === PAD_ID);
    return i < 0 ? L : i;
  });

describe("ArDec greedy decoding (OrtModel over ar_memory + ar_step, and over ar_decoder)", () => {
  let dir = "";
  let weights: Map<string, WeightTensor>;
  before(async () => {
    weights = weightsWithEos(40, 1.8);
    dir = await artifact(weights);
  });

  test("gives the tokens of a step-by-step greedy decode with training's TF.js ArDecoder, cached and uncached alike; finished rows are PAD after their EOS", async () => {
    const m = await readArtifact(dir);
    const model = await openArtifactModel(dir, m, coreMath(m.config.schedule), { threads: 1 });
    assert.equal(model.decoder, "ar");
    const tf = await tfjsReference(cfg, weights, norm);
    assert.ok(tf.ok, tf.ok ? "" : tf.reason);
    const rows = 8;
    const lat = asF32(randomTensor([rows, L, cfg.latentDim], gaussian(41)));
    const ids = await model.decode(Float32Array.from(lat.data), rows); // the cached pair: openArtifactModel prefers it
    const both = await bothDecoders(dir);
    const cached = await both.cached.decode(Float32Array.from(lat.data), rows);
    const uncached = await both.uncached.decode(Float32Array.from(lat.data), rows);
    const ref = await greedyReference(tf.forward, lat, rows);
    tf.forward.dispose?.();
    await Promise.all([model.release(), both.cached.release(), both.uncached.release()]);
    assert.deepEqual(Array.from(ids), Array.from(ref));
    assert.deepEqual(Array.from(cached), Array.from(ref), "KV-cached decode");
    assert.deepEqual(Array.from(uncached), Array.from(ref), "uncached decode");
    // The premise of the test: rows stop at different steps (here 1, 2, 3, 4, 5, 9), so finished rows
    // ride along while the others continue.
    const at = stops(ids, rows);
    assert.ok(new Set(at).size > 2 && Math.min(...at) < L / 4 && Math.max(...at) >= L / 2, `stops ${at}`);
    for (let r = 0; r < rows; r++) for (let p = at[r] + 1; p < L; p++) assert.equal(ids[r * L + p], PAD_ID, `row ${r} after its EOS`);
  });

  test("with EOS and PAD suppressed every position decodes: KV-cached = uncached = the TF.js greedy decode over all L positions, in L step calls", async () => {
    const w = weightsWithoutStop(45);
    const full = await artifact(w);
    const tf = await tfjsReference(cfg, w, norm);
    assert.ok(tf.ok, tf.ok ? "" : tf.reason);
    const rows = 5;
    const lat = asF32(randomTensor([rows, L, cfg.latentDim], gaussian(46)));
    const both = await bothDecoders(full);
    const steps = counted(both.arCached.step);
    const memory = counted(both.arCached.memory);
    const cached = await both.cached.decode(Float32Array.from(lat.data), rows);
    const uncached = await both.uncached.decode(Float32Array.from(lat.data), rows);
    const ref = await greedyReference(tf.forward, lat, rows);
    tf.forward.dispose?.();
    await Promise.all([both.cached.release(), both.uncached.release()]);
    assert.deepEqual(stops(cached, rows), new Array<number>(rows).fill(L), "no row stopped");
    assert.deepEqual(Array.from(cached), Array.from(ref), "KV-cached decode");
    assert.deepEqual(Array.from(uncached), Array.from(ref), "uncached decode");
    assert.equal(memory.calls, 1);
    assert.equal(steps.calls, L);
  });

  test("stops as soon as every row has emitted EOS: one call (one ar_memory + one ar_step, cached) when the first token is EOS", async () => {
    const eos = await artifact(weightsWithEos(42, 100));
    const both = await bothDecoders(eos);
    const whole = counted(both.arDecoder);
    const memory = counted(both.arCached.memory);
    const step = counted(both.arCached.step);
    const lat = new Float32Array(3 * L * cfg.latentDim).fill(0.3);
    const want = Array.from({ length: 3 * L }, (_, i) => (i % L === 0 ? EOS_ID : PAD_ID));
    assert.deepEqual(Array.from(await both.uncached.decode(lat, 3)), want);
    assert.deepEqual(Array.from(await both.cached.decode(lat, 3)), want);
    await Promise.all([both.cached.release(), both.uncached.release()]);
    assert.deepEqual([whole.calls, memory.calls, step.calls], [1, 1, 1]);
  });

  test("the decoder choice: auto = ar here, nar = Dec's argmax, ar on an artifact without ArDec is a clear error", async () => {
    const m = await readArtifact(dir);
    const math = coreMath(m.config.schedule);
    const lat = Float32Array.from(randomTensor([2, L, cfg.latentDim], gaussian(43)).data);
    const nar = await openArtifactModel(dir, m, math, { threads: 1, decoder: "nar" });
    assert.equal(nar.decoder, "nar");
    const dec = await createSession(join(dir, m.graphs.decoder!.file), { threads: 1 });
    const { Tensor } = await import("onnxruntime-node");
    const want = (await dec.run({ latents: new Tensor("float32", lat, [2, L, cfg.latentDim]) })).ids.data as BigInt64Array;
    assert.deepEqual(Array.from(await nar.decode(lat, 2)), Array.from(want, Number));
    await Promise.all([nar.release(), dec.release()]);

    const plain = join(tmp(), "plain");
    await writeRandomArtifact({ config: tinyConfig("generate", { vocabSize: 300 }), vocabulary: placeholderVocabulary(300), outDir: plain, seed: 44 });
    const pm = await readArtifact(plain);
    const auto = await openArtifactModel(plain, pm, math, { threads: 1 });
    assert.equal(auto.decoder, "nar");
    await auto.release();
    await assert.rejects(openArtifactModel(plain, pm, math, { decoder: "ar" }), /decoder "ar" needs an artifact with the ArDec graphs \(ar_memory \+ ar_step, or ar_decoder\)/);
  });

  test("an artifact with only the uncached ar_decoder (exported before the cache) still decodes with ArDec, as the cached pair does", async () => {
    const old = await artifact(weights, ["denoiser", "decoder", "ar_decoder"]);
    const m = await readArtifact(old);
    const model = await openArtifactModel(old, m, coreMath(m.config.schedule), { threads: 1 });
    assert.equal(model.decoder, "ar");
    const lat = Float32Array.from(randomTensor([3, L, cfg.latentDim], gaussian(47)).data);
    const pair = await openArtifactModel(dir, await readArtifact(dir), coreMath(m.config.schedule), { threads: 1 });
    assert.deepEqual(Array.from(await model.decode(lat, 3)), Array.from(await pair.decode(lat, 3)));
    await Promise.all([model.release(), pair.release()]);
  });

  test("sampleArtifact decodes with ArDec by default and says so; --decoder nar samples the same latents", async () => {
    const a = await sampleArtifact({ artifactDir: dir, n: 3, steps: 3, seed: 5 });
    const n = await sampleArtifact({ artifactDir: dir, n: 3, steps: 3, seed: 5, decoder: "nar" });
    assert.equal(a.decoder, "ar");
    assert.equal(n.decoder, "nar");
    assert.deepEqual(a.latents, n.latents, "the decoder does not change the sampled latents");
    assert.notDeepEqual(a.ids, n.ids);
  });
});

test("an artifact with ArDec (the cached pair, default graphs) holds every ard weight: --init-from reads them back, so a later session continues ArDec", async () => {
  const weights = randomWeights(cfg, 41);
  const { dir } = await writeArtifact({ config: cfg, weights, vocabulary: placeholderVocabulary(V), norm, outDir: join(tmp(), "m"), graphs: ["encoder", "denoiser", "decoder", "ar_memory", "ar_step"], training: { command: "test", seconds: 0, steps: 0, finalLosses: {} } });
  const { loadArtifactAsCheckpoint } = await import("@ldtext/training");
  const ck = loadArtifactAsCheckpoint(dir);
  const ard = [...weights.keys()].filter((n) => n.startsWith("ard."));
  assert.ok(ard.length > 10);
  for (const name of ard) assert.deepEqual(Array.from(ck.weights.get(name)!.data), Array.from(weights.get(name)!.data), `${name} did not come back`);
  assert.deepEqual(ck.modelConfig.arDec, cfg.arDec);
});
