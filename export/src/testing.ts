// Shared helpers for export's tests and the verifier: tiny configs, ORT sessions from builders,
// random inputs, error measures.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { FIRST_BPE_ID } from "@ldtext/core";
import type { GenerateModelConfig, ModelConfig, ModelConfigOverrides, SummarizeModelConfig, Task, Vocabulary } from "@ldtext/core";
import type { GraphBuilder, SerializeOptions } from "./onnx/graph.ts";
import type { Tensor64 } from "./reference/forward.ts";

/** A config at the `tiny` preset's sizes (1–2 layers, width 32) with a small vocabulary. */
export function tinyConfig(task: "summarize", overrides?: ModelConfigOverrides): SummarizeModelConfig;
export function tinyConfig(task: "generate", overrides?: ModelConfigOverrides): GenerateModelConfig;
export function tinyConfig(task: Task, overrides?: ModelConfigOverrides): ModelConfig;
export function tinyConfig(task: Task, overrides: ModelConfigOverrides = {}): ModelConfig {
  const net = { dModel: 32, heads: 2, layers: 1, ffn: 64 };
  const sizes = { vocabSize: 300, maxLen: 16, latentDim: 16, enc: net, dec: net, dif: { dModel: 32, heads: 2, layers: 2, ffn: 64 } };
  const rest = { norm: "data", normAlpha: 0.01, schedule: { name: "tan-d", d: 9 } } as const;
  if (task === "summarize") return { task, ...sizes, condEnc: { dModel: 24, heads: 2, layers: 1, ffn: 48 }, condMaxLen: 32, ...rest, ...overrides };
  // A generate model has no condition encoder: its overrides are dropped.
  const { condEnc: _condEnc, condMaxLen: _condMaxLen, ...generateOverrides } = overrides;
  return { task, ...sizes, ...rest, ...generateOverrides };
}

/** Writes the graph (with external data) to a temp folder and opens it at optimization level "all". */
export async function sessionFor(g: GraphBuilder, opts: SerializeOptions = {}, session: ort.InferenceSession.SessionOptions = {}): Promise<ort.InferenceSession> {
  const dir = mkdtempSync(join(tmpdir(), "ldtext-onnx-"));
  const file = join(dir, `${g.name}.onnx`);
  const { model, data } = g.serialize({ externalData: { location: `${g.name}.onnx.data` }, ...opts });
  writeFileSync(file, model);
  writeFileSync(`${file}.data`, data);
  return ort.InferenceSession.create(file, { graphOptimizationLevel: "all", logSeverityLevel: 3, ...session });
}

export function f32(t: Tensor64): ort.Tensor {
  return new ort.Tensor("float32", Float32Array.from(t.data), t.shape);
}

export function i64(values: ArrayLike<number>, dims: number[]): ort.Tensor {
  return new ort.Tensor("int64", BigInt64Array.from(Array.from(values, (v) => BigInt(v))), dims);
}

/** The float32-rounded tensor (what the graph actually receives), as float64. */
export function asF32(t: Tensor64): Tensor64 {
  return { shape: t.shape, data: Float64Array.from(Float32Array.from(t.data)) };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

export function randomTensor(shape: number[], rnd: () => number, scale = 1): Tensor64 {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float64Array.from({ length: n }, () => scale * rnd()) };
}

/**
 * A schema-valid compact vocabulary of `vocabSize` ids whose BPE entries are placeholders (two-letter
 * tokens): enough for writing and loading artifacts; use a real tokenizer for readable text.
 */
export function placeholderVocabulary(vocabSize: number): Vocabulary {
  const k = vocabSize - FIRST_BPE_ID;
  if (k < 0) throw new Error(`vocabSize ${vocabSize} is below the ${FIRST_BPE_ID} specials and bytes`);
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const tokenBytes = Array.from({ length: k }, (_, i) => Buffer.from(letters[i % 26] + letters[Math.floor(i / 26) % 26] + (i >= 676 ? String(i) : "")).toString("base64"));
  return { kind: "compact-bpe", version: 1, base: "gpt2", specials: { pad: 0, bos: 1, eos: 2 }, byteOffset: 3, bpeIds: Array.from({ length: k }, (_, i) => 1000 + i), tokenBytes };
}
