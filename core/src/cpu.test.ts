import { test } from "node:test";
import assert from "node:assert/strict";
import { cpuInfo, cpuLabel, parseCpuInfo } from "./cpu.ts";

// Two processors of a VM that names its CPU only "AMD EPYC" (family 25 model 17: Zen 4).
const EPYC = `processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: AMD EPYC
stepping\t: 1
flags\t\t: fpu sse2 avx avx2 avx512f avx512bw avx512vl avx512_vnni avx512_bf16

processor\t: 1
vendor_id\t: AuthenticAMD
cpu family\t: 99
model\t\t: 98
model name\t: other
stepping\t: 7
flags\t\t: fpu
`;

test("parseCpuInfo: the first processor's model name, vendor, family/model/stepping and int8 flags", () => {
  const c = parseCpuInfo(EPYC, 2);
  assert.deepEqual(c, { model: "AMD EPYC", vendor: "AuthenticAMD", family: 25, modelNumber: 17, stepping: 1, cores: 2, int8Flags: ["avx2", "avx512f", "avx512bw", "avx512_vnni"], int8Kernel: "avx512_vnni" });
  assert.equal(cpuLabel(c), "AMD EPYC (family 25, model 17, stepping 1)");
});

test("parseCpuInfo: AVX2 only → the saturating kernel; AMX wins over VNNI", () => {
  assert.equal(parseCpuInfo("model name : X\nflags : avx avx2 fma\n", 4).int8Kernel, "avx2");
  assert.equal(parseCpuInfo("flags : avx2 avx512_vnni amx_int8 avx_vnni\n", 4).int8Kernel, "amx_int8");
  assert.equal(parseCpuInfo("flags : avx2 avx_vnni\n", 4).int8Kernel, "avx_vnni");
});

test("parseCpuInfo: no /proc/cpuinfo (not Linux) → the fallback model, nulls, no flags", () => {
  const c = parseCpuInfo("", 8, "Apple M2");
  assert.deepEqual(c, { model: "Apple M2", vendor: null, family: null, modelNumber: null, stepping: null, cores: 8, int8Flags: [], int8Kernel: "other" });
  assert.equal(cpuLabel(c), "Apple M2");
  // "model" must not be read from "model name", nor a non-number taken as one.
  assert.equal(parseCpuInfo("model name : Y\nmodel : n/a\n", 1).modelNumber, null);
});

test("cpuInfo on this machine: a model name and the core count", () => {
  const c = cpuInfo();
  assert.ok(c.model.length > 0 && c.cores > 0);
  console.log(`# ${cpuLabel(c)} [${c.int8Flags.join(" ")}], kernel ${c.int8Kernel}`);
});
