import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { writeRandomArtifact } from "../artifact/write.ts";
import { randomWeights } from "../networks/weights.ts";
import { placeholderVocabulary, tinyConfig } from "../testing.ts";
import { readArtifact } from "@ldtext/core";
import { verifyArtifact, weightsFromArtifact } from "./verify.ts";

const tmp = (): string => mkdtempSync(join(tmpdir(), "ldtext-verify-"));
const root = new URL("../../../", import.meta.url).pathname;

describe("verifyArtifact", () => {
  test("passes a summarize artifact with fp32 graphs within 1e-4 and the int8 denoiser within its bound", async () => {
    const cfg = tinyConfig("summarize");
    const { dir } = await writeRandomArtifact({ config: cfg, vocabulary: placeholderVocabulary(cfg.vocabSize), outDir: join(tmp(), "m"), seed: 11, quantize: "int8" });
    const r = await verifyArtifact(dir, { reference: "js" });
    assert.equal(r.ok, true);
    assert.deepEqual(Object.keys(r.graphs).sort(), ["cond_encoder", "decoder", "denoiser", "denoiser_int8", "encoder"]);
    for (const [name, g] of Object.entries(r.graphs)) {
      if (g.precision === "int8") assert.ok(g.maxAbsErr > 1e-4 && g.maxAbsErr <= 0.05 * g.maxAbsRef, `${name} ${g.maxAbsErr}`);
      else assert.ok(g.maxAbsErr <= 1e-4, `${name} ${g.maxAbsErr}`);
    }
    assert.equal(r.graphs.decoder.idsAgree, 1);
  });

  test("reads back exactly the weights that were exported", async () => {
    const cfg = tinyConfig("generate");
    const w = randomWeights(cfg, 12);
    const { dir } = await writeRandomArtifact({ config: cfg, vocabulary: placeholderVocabulary(cfg.vocabSize), outDir: join(tmp(), "m"), seed: 12 });
    const back = weightsFromArtifact(dir, await readArtifact(dir));
    assert.equal(back.size, w.size);
    for (const [k, v] of w) assert.deepEqual(back.get(k)!.data, v.data, k);
  });

  test("fails parity when the graphs do not hold the reference's weights", async () => {
    const cfg = tinyConfig("generate");
    const { dir } = await writeRandomArtifact({ config: cfg, vocabulary: placeholderVocabulary(cfg.vocabSize), outDir: join(tmp(), "m"), seed: 13 });
    const w = randomWeights(cfg, 14);
    const r = await verifyArtifact(dir, { reference: "js", weights: w });
    assert.equal(r.ok, false);
    assert.ok(r.graphs.denoiser.maxAbsErr > 1e-2);
  });

  test("a tampered weight file fails the checksum with a clear error", async () => {
    const cfg = tinyConfig("generate");
    const { dir } = await writeRandomArtifact({ config: cfg, vocabulary: placeholderVocabulary(cfg.vocabSize), outDir: join(tmp(), "m"), seed: 15 });
    const file = join(dir, "denoiser.onnx.data");
    const bytes = readFileSync(file);
    bytes[100] ^= 0xff;
    writeFileSync(file, bytes);
    await assert.rejects(verifyArtifact(dir), /denoiser\.onnx\.data: external data of graph "denoiser" fails verification: sha256/);
  });
});

describe("export CLIs", () => {
  test("npm run export --random then export:verify print one JSON line each and exit 0", () => {
    const out = join(tmp(), "cli");
    const exp = spawnSync(process.execPath, ["--import", "tsx", "export/src/cli/export.ts", "--random", "3", "--preset", "tiny", "--task", "generate", "--out", out], { cwd: root, encoding: "utf8" });
    assert.equal(exp.status, 0, exp.stderr);
    const e = JSON.parse(exp.stdout.trim()) as { verify: { ok: boolean }; bytes: Record<string, number> };
    assert.equal(e.verify.ok, true);
    assert.deepEqual(Object.keys(e.bytes).sort(), ["decoder", "denoiser", "encoder"]);
    const ver = spawnSync(process.execPath, ["--import", "tsx", "export/src/cli/verify.ts", out], { cwd: root, encoding: "utf8" });
    assert.equal(ver.status, 0, ver.stderr);
    const lines = ver.stdout.trim().split("\n");
    assert.equal(lines.length, 1);
    const v = JSON.parse(lines[0]) as { graphs: Record<string, { maxAbsErr: number }> };
    assert.ok(v.graphs.denoiser.maxAbsErr <= 1e-4);
    const bad = spawnSync(process.execPath, ["--import", "tsx", "export/src/cli/verify.ts", join(out, "nope")], { cwd: root, encoding: "utf8" });
    assert.equal(bad.status, 1);
    assert.match(JSON.parse(bad.stdout.trim()).error as string, /manifest\.json: cannot read the manifest/);
  });
});
