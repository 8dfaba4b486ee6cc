// The CPU a measurement ran on: model name and the flags that decide which int8 kernels ONNX
// Runtime's MLAS picks (AVX2 → vpmaddubsw U8S8 with int16 saturation; AVX-VNNI / AVX-512 VNNI →
// vpdpbusd into int32; AMX). Benchmarks and parity reports record it, since int8 results and speed
// depend on it.
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

/** The /proc/cpuinfo flags that matter for int8 matmuls. */
export const INT8_CPU_FLAGS = ["avx2", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "amx_int8"] as const;

export interface CpuInfo {
  model: string;
  cores: number;
  /** The INT8_CPU_FLAGS this CPU has (empty when /proc/cpuinfo is unreadable, e.g. not Linux). */
  int8Flags: string[];
  /** "avx2" (saturating u8×s8 pairs), "avx512_vnni"/"avx_vnni"/"amx_int8" (no saturation), or "other". */
  int8Kernel: "amx_int8" | "avx512_vnni" | "avx_vnni" | "avx2" | "other";
}

/** Parses /proc/cpuinfo text (first processor) into a CpuInfo. */
export function parseCpuInfo(text: string, cores: number, fallbackModel = "unknown"): CpuInfo {
  const model = /^model name\s*:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? fallbackModel;
  const flags = new Set((/^flags\s*:\s*(.+)$/m.exec(text)?.[1] ?? "").trim().split(/\s+/));
  const int8Flags = INT8_CPU_FLAGS.filter((f) => flags.has(f));
  const int8Kernel = flags.has("amx_int8") ? "amx_int8" : flags.has("avx512_vnni") ? "avx512_vnni" : flags.has("avx_vnni") ? "avx_vnni" : flags.has("avx2") ? "avx2" : "other";
  return { model, cores, int8Flags, int8Kernel };
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
