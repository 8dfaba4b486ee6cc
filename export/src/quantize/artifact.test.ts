// export:quantize on a real (tiny, random-weight) artifact: the int8 denoiser is built from the
// artifact's own weights, its parity measured on this CPU, and it is installed — graph, external
// data, load-time check and a manifest entry naming the scheme and the denoiser weights kept fp32 —
// only when asked to or when parity passes. The parity outcome of random weights depends on the CPU's
// int8 kernels, so the install is forced here; what is asserted holds on any x86 CPU.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readArtifact } from "@ldtext/core";
import { writeRandomArtifact } from "../artifact/write.ts";
import { placeholderVocabulary, tinyConfig } from "../testing.ts";
import { INT8_CHECK_FILE, INT8_FILE, quantizeArtifact } from "./artifact.ts";

test("quantizeArtifact installs an int8 denoiser with its check and names the denoiser weights kept fp32", async () => {
  const cfg = tinyConfig("generate");
  const { dir } = await writeRandomArtifact({ config: cfg, vocabulary: placeholderVocabulary(cfg.vocabSize), outDir: join(mkdtempSync(join(tmpdir(), "ldtext-quant-")), "m"), seed: 21 });
  const before = await readArtifact(dir);
  assert.equal(before.graphs.denoiser_int8, undefined);
  const r = await quantizeArtifact(dir, { scheme: "s7", keepFp32: [".mlp."], force: true, steps: 4, samples: 2 });
  assert.equal(r.installed, true);
  const m = await readArtifact(dir);
  const q = m.graphs.denoiser_int8!;
  assert.equal(q.dtype, "int8");
  assert.equal(q.quantization?.scheme, "s7");
  const fp32 = q.quantization?.fp32 ?? [];
  assert.ok(fp32.length > 0 && fp32.every((n) => n.startsWith("dif.blocks.") && n.includes(".mlp.")), `only the denoiser's MLP weights: ${fp32.join(", ")}`);
  assert.equal(fp32.length, 3 * cfg.dif.layers, "w1, w2 and w3 of every Dif block");
  for (const f of [INT8_FILE, `${INT8_FILE}.data`, INT8_CHECK_FILE]) assert.ok(existsSync(join(dir, f)), f);
  const check = JSON.parse(readFileSync(join(dir, INT8_CHECK_FILE), "utf8")) as Record<string, unknown>;
  assert.ok(Object.keys(check).length > 0);
  assert.deepEqual(q.inputs, m.graphs.denoiser!.inputs, "the same interface as the fp32 denoiser");
  assert.equal(r.parity.x0.bound, 0.01);
  assert.ok(r.parity.x0.relErr > 0, "measured, not assumed");
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith(".int8-")), [], "no build folder left behind");
});
