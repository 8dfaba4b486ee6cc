// npm run bench:int8-schemes -- <artifact dir> [--variants s8,s7,u8u8,...] [--batches 8,32] [--no-parity] [--samples 8] [--steps 50] [--seconds 2]
// Builds the artifact's int8 denoiser in each quantization scheme (from its own float weights) and
// measures, on this CPU, the parity of export/src/verify/int8-parity.ts (x̂0 error per t, decoded
// token agreement after a full sampling run) and the time per denoiser call (--batches, L = maxLen, 1 thread) next
// to the fp32 graph, all in one run (the machine is shared: compare ratios, not absolute times).
// Variants: s8, s7, u8u8 (blocks' matmuls), and u8u8 with a layer group kept fp32 (u8u8-noattn,
// u8u8-nomlp, u8u8-now2) or with the per-block time projections quantized too (u8u8+time).
// Prints one JSON line (stdout) and a table (stderr).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cpuInfo, readArtifact } from "@ldtext/core";
import { createSession } from "@ldtext/core/onnx";
import { buildDenoiser } from "../src/networks/graphs.ts";
import { denoiserFeeds } from "./feeds.ts";
import { defaultQuantizeWeight } from "../src/onnx/blocks.ts";
import type { Int8Scheme, NetOptions } from "../src/onnx/blocks.ts";
import type { GraphBuilder } from "../src/onnx/graph.ts";
import { feedsToOrt, measureInt8Parity, validationLikeInputs } from "../src/verify/int8-parity.ts";
import { activationRanges, smoothWeights } from "../src/quantize/smooth.ts";
import type { WeightTensor } from "@ldtext/core";
import { weightsFromArtifact } from "../src/verify/verify.ts";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { variants: { type: "string", default: "s8,s7,u8u8" }, batches: { type: "string", default: "8" }, "no-parity": { type: "boolean", default: false }, samples: { type: "string", default: "8" }, steps: { type: "string", default: "50" }, seconds: { type: "string", default: "2" } } });
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
/**
 * "s7+sq-now2": scheme, then modifiers: +sq smoothing, +pt per-tensor activations
 * (DynamicQuantizeMatMul) instead of per-row, +ew per-row quantization as elementwise ops instead of
 * QuantizeLinear, +fuse fused q/k/v and w1/w3 matmuls, +w2 quantizes mlp.w2 too, +time the time
 * projections too, -x keeps group x fp32.
 */
const FLAGS = ["+sq", "+pt", "+ew", "+fuse", "+w2", "+time"];
/** "+sq0.7": smoothing with α = 0.7; "+w2_012": mlp.w2 quantized in blocks 0, 1, 2 only. */
const isFlag = (x: string): boolean => FLAGS.includes(x) || /^\+sq\d?\.\d+$/.test(x) || /^\+w2_\d+$/.test(x);
const variant = (v: string): { opts: NetOptions; smooth: number | undefined } => {
  const [scheme, ...mods] = v.split(/(?=[-+])/) as [Int8Scheme, ...string[]];
  const filters = mods.filter((x) => !isFlag(x)).map((x) => keep[x]);
  const w2Blocks = mods.find((x) => x.startsWith("+w2_"))?.slice(4);
  if (w2Blocks) filters.push((n) => !n.endsWith(".mlp.w2") || w2Blocks.includes(n.split(".blocks.")[1].split(".")[0]));
  const sq = mods.find((x) => x.startsWith("+sq"));
  const base = mods.includes("+time") ? (n: string) => n.includes(".blocks.")
    : mods.includes("+w2") || w2Blocks ? (n: string) => n.includes(".blocks.") && !/\.time\.w$/.test(n)
    : defaultQuantizeWeight;
  return {
    opts: {
      quantize: "int8", int8Scheme: scheme, int8Activations: mods.includes("+pt") ? "tensor" : "row",
      int8RowOps: mods.includes("+ew") ? "elementwise" : "qdq", int8Fuse: mods.includes("+fuse"),
      quantizeWeight: (n) => base(n) && filters.every((f) => f(n)),
    },
    smooth: sq === undefined ? undefined : sq === "+sq" ? 0.5 : Number(sq.slice(3)),
  };
};
let ranges: Awaited<ReturnType<typeof activationRanges>> | undefined;
async function smoothedWeights(alpha: number): Promise<Map<string, WeightTensor>> {
  if (!ranges) {
    const calib = await validationLikeInputs(dir, { samples: 4, steps: 20, seed: 777, threads: 1 });
    ranges = await activationRanges(m.config, weights, feedsToOrt(calib));
  }
  return smoothWeights(m.config, weights, ranges, alpha);
}
function write(g: GraphBuilder): string {
  const file = join(mkdtempSync(join(tmpdir(), "ldtext-int8-")), "denoiser.int8.onnx");
  const { model, data } = g.serialize({ externalData: { location: "denoiser.int8.onnx.data" } });
  writeFileSync(file, model);
  writeFileSync(`${file}.data`, data);
  return file;
}

const cfg = m.config;
const batches = values.batches.split(",").map(Number);
async function cpuMsPerCall(file: string, B: number): Promise<number> {
  const feeds = denoiserFeeds(cfg, B, 3, 32);
  const s = await createSession(file, { threads: 1 });
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

const fp32Ms: Record<number, number> = {};
for (const B of batches) fp32Ms[B] = await cpuMsPerCall(join(dir, m.graphs.denoiser!.file), B);
const rows: Record<string, unknown>[] = [];
for (const v of values.variants.split(",")) {
  const { opts, smooth } = variant(v);
  const file = write(buildDenoiser(cfg, smooth !== undefined ? await smoothedWeights(smooth) : weights, opts));
  const report = values["no-parity"] ? undefined : (await measureInt8Parity(dir, { int8File: file, samples: Number(values.samples), steps: Number(values.steps) })).report;
  const ms: Record<number, number> = {};
  for (const B of batches) ms[B] = await cpuMsPerCall(file, B);
  const speed = batches.map((B) => `B=${B} ${ms[B].toFixed(1)} vs fp32 ${fp32Ms[B].toFixed(1)} CPU ms/call ×${(fp32Ms[B] / ms[B]).toFixed(2)}`).join("; ");
  rows.push({ variant: v, x0RelErr: report?.x0.relErr, perT: report?.x0.perT.map((p) => Number(p.relErr.toFixed(5))), tokenAgreement: report?.tokens.agreement, positions: report?.tokens.positions, cpuMsPerCall: ms, speedup: Object.fromEntries(batches.map((B) => [B, Number((fp32Ms[B] / ms[B]).toFixed(3))])), ok: report?.ok });
  const parity = report ? `x0 rel err ${(100 * report.x0.relErr).toFixed(3)} %  tokens ${(100 * report.tokens.agreement).toFixed(2)} % of ${report.tokens.positions}  ${report.ok ? "ok" : "FAIL"}` : "parity not measured";
  console.error(`${v.padEnd(16)} ${parity}  ${speed}`);
}
console.log(JSON.stringify({ artifact: dir, cpu: cpuInfo(), shared: "CPU shared with a training run: compare ratios within this run", batches, fp32CpuMsPerCall: fp32Ms, variants: rows }));
