// npm run bench:int8-schemes -- <artifact dir> [--variants s8,s7,u8u8,...] [--samples 8] [--steps 50] [--seconds 2]
// Builds the artifact's int8 denoiser in each quantization scheme (from its own float weights) and
// measures, on this CPU, the parity of export/src/verify/int8-parity.ts (x̂0 error per t, decoded
// token agreement after a full sampling run) and the time per denoiser call (B = 8, 1 thread) next
// to the fp32 graph, all in one run (the machine is shared: compare ratios, not absolute times).
// Variants: s8, s7, u8u8 (blocks' matmuls), and u8u8 with a layer group kept fp32 (u8u8-noattn,
// u8u8-nomlp, u8u8-now2) or with the per-block time projections quantized too (u8u8+time).
// Prints one JSON line (stdout) and a table (stderr).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { cpuInfo, readArtifact } from "@ldtext/core";
import { buildDenoiser } from "../src/networks/graphs.ts";
import { denoiserFeeds } from "./feeds.ts";
import { defaultQuantizeWeight } from "../src/onnx/blocks.ts";
import type { Int8Scheme, NetOptions } from "../src/onnx/blocks.ts";
import type { GraphBuilder } from "../src/onnx/graph.ts";
import { feedsToOrt, measureInt8Parity, validationLikeInputs } from "../src/verify/int8-parity.ts";
import { activationRanges, smoothWeights } from "../src/quantize/smooth.ts";
import type { WeightTensor } from "../src/onnx/blocks.ts";
import { weightsFromArtifact } from "../src/verify/verify.ts";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { variants: { type: "string", default: "s8,s7,u8u8" }, samples: { type: "string", default: "8" }, steps: { type: "string", default: "50" }, seconds: { type: "string", default: "2" } } });
if (positionals.length !== 1) {
  console.error("usage: npm run bench:int8-schemes -- <artifact dir> [--variants s8,s7,u8u8] [--samples 8] [--steps 50] [--seconds 2]");
  process.exit(2);
}
const dir = positionals[0];
const m = await readArtifact(dir);
const weights = weightsFromArtifact(dir, m);
const keep: Record<string, (n: string) => boolean> = {
  "-noattn": (n) => !n.includes(".attn.") && !n.includes(".cross."),
  "-nomlp": (n) => !n.includes(".mlp."),
  "-now2": (n) => !n.endsWith(".mlp.w2"),
  "+time": () => true,
};
/** "+pt": per-tensor activations (DynamicQuantizeMatMul) instead of per-row. */
/** "s7+sq-now2": scheme, then modifiers (+sq smoothing, -x keeps group x fp32, +time quantizes time projections). */
const variant = (v: string): { opts: NetOptions; smooth: boolean } => {
  const [scheme, ...mods] = v.split(/(?=[-+])/) as [Int8Scheme, ...string[]];
  const filters = mods.filter((x) => x !== "+sq" && x !== "+pt").map((x) => keep[x]);
  const base = mods.includes("+time") ? (n: string) => n.includes(".blocks.") : defaultQuantizeWeight;
  return { opts: { quantize: "int8", int8Scheme: scheme, int8Activations: mods.includes("+pt") ? "tensor" : "row", quantizeWeight: (n) => base(n) && filters.every((f) => f(n)) }, smooth: mods.includes("+sq") };
};
let smoothed: Map<string, WeightTensor> | undefined;
async function smoothedWeights(): Promise<Map<string, WeightTensor>> {
  if (!smoothed) {
    const calib = await validationLikeInputs(dir, { samples: 4, steps: 20, seed: 777, threads: 1 });
    smoothed = smoothWeights(m.config, weights, await activationRanges(m.config, weights, feedsToOrt(calib)));
  }
  return smoothed;
}
function write(g: GraphBuilder): string {
  const file = join(mkdtempSync(join(tmpdir(), "ldtext-int8-")), "denoiser.int8.onnx");
  const { model, data } = g.serialize({ externalData: { location: "denoiser.int8.onnx.data" } });
  writeFileSync(file, model);
  writeFileSync(`${file}.data`, data);
  return file;
}

const cfg = m.config;
const B = 8;
const feeds = denoiserFeeds(cfg, B, 3, 32);
async function cpuMsPerCall(file: string): Promise<number> {
  const s = await ort.InferenceSession.create(file, { graphOptimizationLevel: "all", intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 });
  await s.run(feeds);
  const cpu: number[] = [];
  const end = performance.now() + Number(values.seconds) * 1000;
  while (performance.now() < end) {
    const c0 = process.cpuUsage();
    await s.run(feeds);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  await s.release();
  return cpu.sort((a, b) => a - b)[Math.floor(cpu.length / 2)];
}

const fp32Ms = await cpuMsPerCall(join(dir, m.graphs.denoiser!.file));
const rows: Record<string, unknown>[] = [];
for (const v of values.variants.split(",")) {
  const { opts, smooth } = variant(v);
  const file = write(buildDenoiser(cfg, smooth ? await smoothedWeights() : weights, opts));
  const { report } = await measureInt8Parity(dir, { int8File: file, samples: Number(values.samples), steps: Number(values.steps) });
  const ms = await cpuMsPerCall(file);
  const row = { variant: v, x0RelErr: report.x0.relErr, perT: report.x0.perT.map((p) => Number(p.relErr.toFixed(5))), tokenAgreement: report.tokens.agreement, positions: report.tokens.positions, cpuMsPerCall: ms, speedup: fp32Ms / ms, ok: report.ok };
  rows.push(row);
  console.error(`${v.padEnd(14)} x0 rel err ${(100 * report.x0.relErr).toFixed(3)} %  tokens ${(100 * report.tokens.agreement).toFixed(2)} % of ${report.tokens.positions}  ${ms.toFixed(1)} CPU ms/call (fp32 ${fp32Ms.toFixed(1)}, ×${(fp32Ms / ms).toFixed(2)})  ${report.ok ? "ok" : "FAIL"}`);
}
console.log(JSON.stringify({ artifact: dir, cpu: cpuInfo(), shared: "CPU shared with a training run: compare ratios within this run", batch: B, fp32CpuMsPerCall: fp32Ms, variants: rows }));
