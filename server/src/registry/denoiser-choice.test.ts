// DENOISER=auto end to end: real onnxruntime-node workers, real HTTP on loopback. Whether an int8
// graph is close enough to fp32 depends on the CPU's int8 kernels (see denoiser-choice.ts), so this
// test does not rely on any CPU's numbers: it rewrites the shipped check's expected outputs to what
// the int8 graph gives on *this* CPU (the check must pass, on AVX2 or VNNI alike), then to values
// 10 % off (it must fail, anywhere), and checks which graph is served, /models' reason and the
// metrics label. The parity of real quantized models is export's concern (export/src/verify).
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { cpuInfo, decodeTensor, encodeTensor, hashFile, parseInt8Check, readArtifact } from "@ldtext/core";
import type { Int8Check, Manifest } from "@ldtext/core";
import { startTestServer, tempDir, writeModel } from "../testing/fixtures.ts";
import { loadSettings } from "../settings/index.ts";
import { initialChoice } from "./denoiser-choice.ts";

// This CPU's int8 kernel is listed (or left out) explicitly, so what is asserted holds on AVX2 and VNNI alike.
const THIS_KERNEL = cpuInfo().int8Kernel;

async function rewriteCheck(dir: string, scale: number): Promise<void> {
  const m = await readArtifact(dir);
  const entry = m.graphs.denoiser_int8!;
  const file = join(dir, entry.check!.file);
  const check: Int8Check = parseInt8Check(JSON.parse(readFileSync(file, "utf8")));
  const s = await ort.InferenceSession.create(join(dir, entry.file), { intraOpNumThreads: 1, logSeverityLevel: 3 });
  const feeds: Record<string, ort.Tensor> = {};
  for (const [k, w] of Object.entries(check.inputs)) {
    const t = decodeTensor(w);
    feeds[k] = new ort.Tensor("float32", t.data, t.shape);
  }
  const out = new Float32Array((await s.run(feeds)).x0_hat.data as Float32Array).map((v) => v * scale);
  await s.release();
  check.expected = encodeTensor({ shape: check.expected.shape, data: out });
  writeFileSync(file, JSON.stringify(check));
  const manifest: Manifest = { ...m, graphs: { ...m.graphs, denoiser_int8: { ...entry, check: { file: entry.check!.file, ...(await hashFile(file)) } } } };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
}

interface ModelsBody {
  models: { denoiser: string; denoiserReason: string }[];
}

describe("DENOISER=auto (the default)", () => {
  test("serves int8 when the shipped parity check passes on this CPU, fp32 with the reason when it fails", async () => {
    const models = tempDir("ldtext-auto-");
    const dir = await writeModel(models, "generate", { quantize: "int8" });
    await rewriteCheck(dir, 1);
    const srv = await startTestServer(models, { INT8_AUTO_KERNELS: THIS_KERNEL });
    try {
      const m = (await (await fetch(`${srv.url}/models`)).json()) as ModelsBody;
      assert.equal(m.models[0].denoiser, "int8", m.models[0].denoiserReason);
      assert.match(m.models[0].denoiserReason, /^auto: int8 parity check passed, 0\.000 % of max/);
      const metrics = await (await fetch(`${srv.url}/metrics`)).text();
      assert.match(metrics, /ldtext_model_info\{[^}]*denoiser="int8"[^}]*\} 1/);
    } finally {
      await srv.shutdown();
    }

    await rewriteCheck(dir, 1.1);
    const srv2 = await startTestServer(models, { INT8_AUTO_KERNELS: THIS_KERNEL });
    try {
      const m = (await (await fetch(`${srv2.url}/models`)).json()) as ModelsBody;
      assert.equal(m.models[0].denoiser, "fp32");
      assert.match(m.models[0].denoiserReason, /^auto: int8 parity check failed, (9|10)\.\d+ % of max \|x̂0\| \(bound 1\.0 %\)/);
      const metrics = await (await fetch(`${srv2.url}/metrics`)).text();
      assert.match(metrics, /ldtext_model_info\{[^}]*denoiser="fp32"[^}]*\} 1/);
    } finally {
      await srv2.shutdown();
    }
  });

  test("on a CPU whose int8 kernel is not in INT8_AUTO_KERNELS, fp32 is served without running the check, and /models says why", async () => {
    const models = tempDir("ldtext-auto-");
    const dir = await writeModel(models, "generate", { quantize: "int8" });
    await rewriteCheck(dir, 1); // a check that would pass
    const other = THIS_KERNEL === "avx2" ? "avx512_vnni" : "avx2";
    const srv = await startTestServer(models, { INT8_AUTO_KERNELS: other });
    try {
      const m = (await (await fetch(`${srv.url}/models`)).json()) as ModelsBody;
      assert.equal(m.models[0].denoiser, "fp32");
      assert.equal(m.models[0].denoiserReason, `auto: this CPU's int8 kernel is ${THIS_KERNEL}, not in INT8_AUTO_KERNELS (${other}): int8 measured no faster than fp32 there`);
    } finally {
      await srv.shutdown();
    }
  });

  test("the default INT8_AUTO_KERNELS leave out AVX2 without VNNI (measured no faster), and a kernel name that does not exist is refused", () => {
    const manifest = { graphs: { denoiser: { file: "d.onnx" }, denoiser_int8: { file: "q.onnx", check: { file: "c.json" } } } } as unknown as Manifest;
    const allowed = loadSettings({}).INT8_AUTO_KERNELS;
    assert.deepEqual(allowed, ["amx_int8", "avx512_vnni", "avx_vnni", "other"]);
    assert.equal(initialChoice("auto", manifest, "cpu", { kernel: "avx2", allowed }).try, "fp32");
    for (const kernel of ["avx512_vnni", "amx_int8", "avx_vnni"] as const) assert.equal(initialChoice("auto", manifest, "cpu", { kernel, allowed }).try, "int8", kernel);
    assert.equal(initialChoice("int8", manifest, "cpu", { kernel: "avx2", allowed }).try, "int8", "DENOISER=int8 is not second-guessed");
    assert.throws(() => loadSettings({ INT8_AUTO_KERNELS: "avx2,vnni" }), /INT8_AUTO_KERNELS/);
  });

  test("an artifact without an int8 graph serves fp32 and says why", async () => {
    const models = tempDir("ldtext-auto-");
    await writeModel(models, "generate");
    const srv = await startTestServer(models);
    try {
      const m = (await (await fetch(`${srv.url}/models`)).json()) as ModelsBody;
      assert.equal(m.models[0].denoiser, "fp32");
      assert.equal(m.models[0].denoiserReason, "auto: the artifact has no int8 denoiser");
    } finally {
      await srv.shutdown();
    }
  });
});
