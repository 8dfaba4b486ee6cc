// npm run bench:int8 -- [--preset small | --checkpoint <dir>] [--batch 8] [--seconds 3] [--threads 1]
//                       [--only <weight-name regex>]
// CPU time of the denoiser with fp32 matmuls vs DynamicQuantizeMatMul int8 block matmuls (random
// `small`-preset weights, or a trained checkpoint's EMA weights with --checkpoint; one graph call = one denoising step for `batch` rows), and the int8 graph's
// error against the fp32 graph on the same inputs. Bounded: each variant runs for --seconds.
// Prints one JSON line (stdout) and a table (stderr).
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { condMaxLenOf, FIRST_BPE_ID, modelConfigFromPreset, PRESETS, PresetNameSchema } from "@ldtext/core";
import type { ModelConfig } from "@ldtext/core";
import { exportWeights, loadTrainingCheckpoint } from "../src/artifact/from-checkpoint.ts";
import type { WeightMap } from "../src/onnx/blocks.ts";
import { buildDenoiser } from "../src/networks/graphs.ts";
import { randomWeights } from "../src/networks/weights.ts";
import { sessionFor } from "../src/testing.ts";
import { denoiserFeeds } from "./feeds.ts";

const { values } = parseArgs({ options: { preset: { type: "string", default: "small" }, batch: { type: "string", default: "8" }, seconds: { type: "string", default: "3" }, threads: { type: "string", default: "1" }, only: { type: "string" }, checkpoint: { type: "string" } } });
const B = Number(values.batch);
const seconds = Number(values.seconds);
const threads = Number(values.threads);
let cfg: ModelConfig;
let w: WeightMap;
let source: string;
if (values.checkpoint) {
  const ckpt = await loadTrainingCheckpoint(values.checkpoint);
  cfg = ckpt.modelConfig;
  w = exportWeights(ckpt).weights;
  source = values.checkpoint;
} else {
  const preset = PresetNameSchema.parse(values.preset);
  cfg = modelConfigFromPreset(preset, "generate", FIRST_BPE_ID + PRESETS[preset].topK);
  w = randomWeights(cfg, 1);
  source = `random ${preset}`;
}
const L = cfg.maxLen;
const opts = { intraOpNumThreads: threads, interOpNumThreads: 1 };
const fp32 = await sessionFor(buildDenoiser(cfg, w), {}, opts);
const int8 = await sessionFor(buildDenoiser(cfg, w, { quantize: "int8", ...(values.only ? { quantizeWeight: (n: string) => new RegExp(values.only!).test(n) } : {}) }), {}, opts);
const feeds = denoiserFeeds(cfg, B, 2, condMaxLenOf(cfg));

/** Median wall and CPU time per call (CPU time: the machine is shared, so wall time alone misleads). */
async function time(s: ort.InferenceSession): Promise<{ msPerCall: number; cpuMsPerCall: number; calls: number; out: Float32Array }> {
  let out = (await s.run(feeds)).x0_hat.data as Float32Array; // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    out = (await s.run(feeds)).x0_hat.data as Float32Array;
    const c = process.cpuUsage(c0);
    wall.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { msPerCall: median(wall), cpuMsPerCall: median(cpu), calls: wall.length, out };
}

const a = await time(fp32);
const b = await time(int8);
let maxErr = 0;
let sq = 0;
let maxRef = 0;
for (let i = 0; i < a.out.length; i++) {
  const e = Math.abs(a.out[i] - b.out[i]);
  maxErr = Math.max(maxErr, e);
  sq += e * e;
  maxRef = Math.max(maxRef, Math.abs(a.out[i]));
}
const result = {
  weights: source, batch: B, length: L, threads,
  fp32CpuMsPerStep: Number(a.cpuMsPerCall.toFixed(2)), int8CpuMsPerStep: Number(b.cpuMsPerCall.toFixed(2)),
  cpuSpeedup: Number((a.cpuMsPerCall / b.cpuMsPerCall).toFixed(2)),
  fp32WallMsPerStep: Number(a.msPerCall.toFixed(2)), int8WallMsPerStep: Number(b.msPerCall.toFixed(2)),
  int8MaxAbsErr: Number(maxErr.toExponential(3)), int8RmsErr: Number(Math.sqrt(sq / a.out.length).toExponential(3)), outputMaxAbs: Number(maxRef.toFixed(3)),
  calls: { fp32: a.calls, int8: b.calls },
};
console.log(JSON.stringify(result));
console.error(`denoiser (${source}) B=${B} L=${L} threads=${threads} (median of ${a.calls}/${b.calls} calls)`);
console.error("        CPU ms/step  wall ms/step");
console.error(`  fp32  ${result.fp32CpuMsPerStep.toFixed(2).padStart(11)}  ${result.fp32WallMsPerStep.toFixed(2).padStart(12)}`);
console.error(`  int8  ${result.int8CpuMsPerStep.toFixed(2).padStart(11)}  ${result.int8WallMsPerStep.toFixed(2).padStart(12)}   CPU ×${result.cpuSpeedup}   max abs err ${result.int8MaxAbsErr} (rms ${result.int8RmsErr}, |out| ≤ ${result.outputMaxAbs})`);
