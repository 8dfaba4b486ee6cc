// The CPU a measurement ran on: model name, family/model/stepping, and the flags that decide which
// int8 kernels ONNX Runtime's MLAS picks (AVX2 → vpmaddubsw U8S8 with int16 saturation; AVX-VNNI /
// AVX-512 VNNI → vpdpbusd into int32; AMX). Benchmarks and parity reports record it, since int8
// results and speed depend on it. Some VMs report a bare model name ("AMD EPYC"), so the numeric
// family/model/stepping are kept too (e.g. AMD family 25 model 17 = a Zen 4 EPYC).
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

/** The /proc/cpuinfo flags that matter for int8 matmuls. */
export const INT8_CPU_FLAGS = ["avx2", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "amx_int8"] as const;

/** The int8 kernel families cpuInfo() tells apart (see CpuInfo.int8Kernel). */
export const INT8_KERNELS = ["amx_int8", "avx512_vnni", "avx_vnni", "avx2", "other"] as const;
export type Int8Kernel = (typeof INT8_KERNELS)[number];

export interface CpuInfo {
  model: string;
  /** vendor_id ("AuthenticAMD", "GenuineIntel"), or null when /proc/cpuinfo does not say. */
  vendor: string | null;
  /** "cpu family", "model" and "stepping" of the first processor (decimal), null when absent. */
  family: number | null;
  modelNumber: number | null;
  stepping: number | null;
  cores: number;
  /** The INT8_CPU_FLAGS this CPU has (empty when /proc/cpuinfo is unreadable, e.g. not Linux). */
  int8Flags: string[];
  /** "avx2" (saturating u8×s8 pairs), "avx512_vnni"/"avx_vnni"/"amx_int8" (no saturation), or "other". */
  int8Kernel: Int8Kernel;
}

/** Parses /proc/cpuinfo text (first processor) into a CpuInfo. */
export function parseCpuInfo(text: string, cores: number, fallbackModel = "unknown"): CpuInfo {
  // The first processor's block only (every block repeats the same keys).
  const first = text.split(/\n\s*\n/)[0] ?? "";
  const field = (key: string): string | undefined => new RegExp(`^${key}\\s*:\\s*(.*)$`, "m").exec(first)?.[1]?.trim();
  const num = (key: string): number | null => {
    const v = field(key);
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
  };
  const model = field("model name") || fallbackModel;
  const flags = new Set((field("flags") ?? "").split(/\s+/));
  const int8Flags = INT8_CPU_FLAGS.filter((f) => flags.has(f));
  const int8Kernel = flags.has("amx_int8") ? "amx_int8" : flags.has("avx512_vnni") ? "avx512_vnni" : flags.has("avx_vnni") ? "avx_vnni" : flags.has("avx2") ? "avx2" : "other";
  return { model, vendor: field("vendor_id") || null, family: num("cpu family"), modelNumber: num("model"), stepping: num("stepping"), cores, int8Flags, int8Kernel };
}

/** "AMD EPYC (family 25, model 17, stepping 1)": the model name with the numbers that identify it. */
export function cpuLabel(c: CpuInfo): string {
  const ids = [c.family !== null ? `family ${c.family}` : "", c.modelNumber !== null ? `model ${c.modelNumber}` : "", c.stepping !== null ? `stepping ${c.stepping}` : ""].filter((s) => s !== "");
  return ids.length > 0 ? `${c.model} (${ids.join(", ")})` : c.model;
}

export function cpuInfo(): CpuInfo {
  const list = cpus();
  let text = "";
  try {
    text = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    // not Linux: model from os.cpus(), no flags
  }
  return parseCpuInfo(text, list.length, list[0]?.model ?? "unknown");
}
