// DENOISER=auto: which denoiser graph a model version serves. The int8 graph is served only when
// its parity check (shipped in the artifact: fixed inputs + the fp32 graph's outputs, core's
// Int8Check) passes on this machine's CPU through the very worker that will serve it — int8
// kernels differ between CPUs (on AVX2 without VNNI, MLAS sums u8×s8 pairs into saturating int16),
// so an artifact that passed where it was exported may not pass here. And only on CPUs where int8 pays:
// on AVX2 without VNNI it was measured no faster than fp32, so auto keeps fp32 there
// (INT8_AUTO_KERNELS).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compareInt8Check, cpuInfo, decodeTensor, parseInt8Check } from "@ldtext/core";
import type { Int8CheckResult, Int8Kernel, Manifest } from "@ldtext/core";
import type { EngineWorker } from "../engine/engine-worker.ts";

export type DenoiserSetting = "auto" | "fp32" | "int8";

export interface DenoiserChoice {
  served: "fp32" | "int8";
  /** Why (shown by /models). */
  reason: string;
  check?: Int8CheckResult;
}

/** This CPU's int8 kernel, and the kernels on which DENOISER=auto considers int8 (INT8_AUTO_KERNELS). */
export interface Int8KernelPolicy {
  kernel: Int8Kernel;
  allowed: readonly Int8Kernel[];
}

/** Before any worker starts: the graph to try, or the final fp32 answer. */
export function initialChoice(setting: DenoiserSetting, m: Manifest, ep: string, cpu: Int8KernelPolicy): { try: "int8" | "fp32"; reason: string } {
  const q = m.graphs.denoiser_int8;
  if (setting === "fp32") return { try: "fp32", reason: "DENOISER=fp32" };
  if (setting === "int8") return { try: "int8", reason: "DENOISER=int8 (no parity check)" };
  if (!q) return { try: "fp32", reason: "auto: the artifact has no int8 denoiser" };
  if (!q.check) return { try: "fp32", reason: "auto: the int8 denoiser has no parity check file (re-run npm run export:quantize)" };
  if (ep === "cuda") return { try: "fp32", reason: "auto: EP=cuda, and the int8 graph is a CPU graph" };
  if (!cpu.allowed.includes(cpu.kernel)) {
    return { try: "fp32", reason: `auto: this CPU's int8 kernel is ${cpu.kernel}, not in INT8_AUTO_KERNELS (${cpu.allowed.join(",")}): int8 measured no faster than fp32 there` };
  }
  return { try: "int8", reason: "auto: int8 parity check pending" };
}

/** Runs the artifact's int8 parity check on `worker` (whose "denoiser" is the int8 graph). */
export async function runInt8Check(worker: EngineWorker, dir: string, m: Manifest): Promise<Int8CheckResult> {
  const ref = m.graphs.denoiser_int8?.check;
  if (!ref) throw new Error("no parity check file");
  const check = parseInt8Check(JSON.parse(readFileSync(join(dir, ref.file), "utf8")));
  const feeds: Record<string, { type: "float32"; dims: number[]; data: ArrayBuffer }> = {};
  for (const [name, w] of Object.entries(check.inputs)) {
    const t = decodeTensor(w);
    feeds[name] = { type: "float32", dims: t.shape, data: t.data.buffer as ArrayBuffer };
  }
  const out = await worker.run("denoiser", feeds, ["x0_hat"]);
  return compareInt8Check(check, new Float32Array(out.x0_hat.data));
}

export function describeCheck(r: Int8CheckResult): string {
  const cpu = cpuInfo();
  return `${(100 * r.relErr).toFixed(3)} % of max |x̂0| (bound ${(100 * r.bound).toFixed(1)} %) on ${cpu.model} [${cpu.int8Kernel}]`;
}
