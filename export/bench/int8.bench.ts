// npm run bench:int8 -- [--preset small | --checkpoint <dir> | --artifact <dir>] [--batch 8,32] [--seconds 3]
//                       [--threads 1] [--only <weight-name regex>] [--options '<NetOptions JSON>']
// CPU time of the denoiser with fp32 matmuls vs the int8 graph export writes (block matmuls as
// int8, blocks.ts defaults; --options overrides NetOptions such as int8Activations/int8RowOps/
// int8Fuse) on random `small`-preset weights, a trained checkpoint's EMA weights (--checkpoint) or
// an artifact's own float denoiser weights (--artifact); one graph call = one denoising step for
// `batch` rows, for each batch of --batch, and the int8 graph's error against the fp32 graph on the
// same inputs. Bounded: each variant runs for --seconds. Prints one JSON line (stdout, with the
// CPU's cpuInfo()) and a table (stderr).
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { condMaxLenOf, cpuInfo, FIRST_BPE_ID, modelConfigFromPreset, PRESETS, PresetNameSchema, readArtifact } from "@ldtext/core";
import type { ModelConfig } from "@ldtext/core";
import { exportWeights, loadTrainingCheckpoint } from "../src/artifact/from-checkpoint.ts";
import type { NetOptions } from "../src/onnx/blocks.ts";
import { weightsFromArtifact } from "../src/verify/verify.ts";
import { buildDenoiser } from "../src/networks/graphs.ts";
import { randomWeights } from "../src/networks/weights.ts";
import { sessionFor } from "../src/testing.ts";
import { denoiserFeeds } from "./feeds.ts";
import type { WeightMap } from "@ldtext/core";

const { values } = parseArgs({ options: { preset: { type: "string", default: "small" }, batch: { type: "string", default: "8" }, seconds: { type: "string", default: "3" }, threads: { type: "string", default: "1" }, only: { type: "string" }, checkpoint: { type: "string" }, artifact: { type: "string" }, options: { type: "string" } } });
const batches = values.batch.split(",").map(Number);
const seconds = Number(values.seconds);
const threads = Number(values.threads);
let cfg: ModelConfig;
let w: WeightMap;
let source: string;
if (values.artifact) {
  const m = await readArtifact(values.artifact);
  cfg = m.config;
  w = weightsFromArtifact(values.artifact, m);
  source = values.artifact;
} else if (values.checkpoint) {
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
const netOptions = JSON.parse(values.options ?? "{}") as NetOptions;
const int8 = await sessionFor(buildDenoiser(cfg, w, { quantize: "int8", ...netOptions, ...(values.only ? { quantizeWeight: (n: string) => new RegExp(values.only!).test(n) } : {}) }), {}, opts);
let feeds = denoiserFeeds(cfg, batches[0], 2, condMaxLenOf(cfg));

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

const results = [];
for (const B of batches) {
  feeds = denoiserFeeds(cfg, B, 2, condMaxLenOf(cfg));
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
  results.push({
    batch: B,
    fp32CpuMsPerStep: Number(a.cpuMsPerCall.toFixed(2)), int8CpuMsPerStep: Number(b.cpuMsPerCall.toFixed(2)),
    cpuSpeedup: Number((a.cpuMsPerCall / b.cpuMsPerCall).toFixed(2)),
    fp32WallMsPerStep: Number(a.msPerCall.toFixed(2)), int8WallMsPerStep: Number(b.msPerCall.toFixed(2)),
    int8MaxAbsErr: Number(maxErr.toExponential(3)), int8RmsErr: Number(Math.sqrt(sq / a.out.length).toExponential(3)), outputMaxAbs: Number(maxRef.toFixed(3)),
    calls: { fp32: a.calls, int8: b.calls },
  });
}
console.log(JSON.stringify({ weights: source, length: L, threads, int8Options: values.options ?? "{}", cpu: cpuInfo(), results }));
console.error(`denoiser (${source}) L=${L} threads=${threads} int8 options ${values.options ?? "{} (export defaults)"}`);
console.error("            CPU ms/step  wall ms/step");
for (const r of results) {
  console.error(`  B=${String(r.batch).padEnd(3)} fp32  ${r.fp32CpuMsPerStep.toFixed(2).padStart(11)}  ${r.fp32WallMsPerStep.toFixed(2).padStart(12)}`);
  console.error(`  B=${String(r.batch).padEnd(3)} int8  ${r.int8CpuMsPerStep.toFixed(2).padStart(11)}  ${r.int8WallMsPerStep.toFixed(2).padStart(12)}   CPU ×${r.cpuSpeedup}   max abs err ${r.int8MaxAbsErr} (rms ${r.int8RmsErr}, |out| ≤ ${r.outputMaxAbs})`);
}
