import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readArtifact, servedClamp, servedGuidance } from "@ldtext/core";
import { placeholderVocabulary, tinyConfig } from "../testing.ts";
import { writeRandomArtifact } from "./write.ts";
import { redefaultArtifact } from "./redefault.ts";

test("redefault: a new version with the same graphs and the new served defaults; refusals leave nothing behind", async () => {
  const root = mkdtempSync(join(tmpdir(), "ldtext-redefault-"));
  const src = join(root, "sum-1");
  await writeRandomArtifact({ config: tinyConfig("summarize", { vocabSize: 300 }), vocabulary: placeholderVocabulary(300), outDir: src, seed: 2, version: "1", sampling: { guidance: 3 } });
  const out = join(root, "sum-2");
  const m = await redefaultArtifact(src, out, { version: "2", clamp: 0.4, note: "chosen by eval" });
  const a = await readArtifact(src);
  const b = await readArtifact(out); // verifies every copied file's sha256
  assert.equal(b.version, "2");
  assert.equal(servedClamp(b), 0.4);
  assert.equal(servedGuidance(b), 3, "defaults not given are kept");
  assert.deepEqual(b.graphs, a.graphs, "same graph files, same hashes");
  assert.deepEqual(b.training, a.training);
  assert.equal(b.evaluation?.derivedFrom, `${a.id}@1`);
  assert.equal(m.evaluation?.defaultsNote, "chosen by eval");
  assert.deepEqual(readdirSync(out).sort(), readdirSync(src).sort());

  await assert.rejects(redefaultArtifact(src, join(root, "same"), { version: "1", clamp: 0.4 }), /needs a new version/);
  await assert.rejects(redefaultArtifact(src, out, { version: "3", clamp: 0.4 }), /already exists/);
  await assert.rejects(redefaultArtifact(src, join(root, "none"), { version: "3" }), /nothing to change/);
  const bare = join(root, "gen-1");
  await writeRandomArtifact({ config: tinyConfig("generate", { vocabSize: 300 }), vocabulary: placeholderVocabulary(300), outDir: bare, seed: 2, graphs: ["denoiser", "decoder"] });
  await assert.rejects(redefaultArtifact(bare, join(root, "gen-2"), { version: "2", clamp: 0.5 }), /needs the encoder graph/);
  assert.equal(existsSync(join(root, "gen-2")), false);
  assert.deepEqual(readdirSync(root).filter((n) => n.startsWith(".") || n.includes("build")), [], "no temporary folder is left");
});
