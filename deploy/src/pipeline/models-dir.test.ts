// Promotion into a served models folder: whole version or nothing, refusals that leave it as it was,
// and retirement.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIRST_BPE_ID, modelConfigFromPreset, PRESETS, readArtifact } from "@ldtext/core";
import { placeholderVocabulary, writeRandomArtifact } from "@ldtext/export";
import { findVersion, listVersions, promoteArtifact, PromoteError, recordedEvaluation, retireVersion, versionDir } from "./models-dir.ts";

const work = mkdtempSync(join(tmpdir(), "models-dir-"));
const vocabSize = FIRST_BPE_ID + PRESETS.tiny.topK;
const artifact = (dir: string, seed: number, version: string) =>
  writeRandomArtifact({ config: modelConfigFromPreset("tiny", "generate", vocabSize), vocabulary: placeholderVocabulary(vocabSize), outDir: dir, seed, name: "gen", version });

before(async () => {
  await artifact(join(work, "a"), 1, "2");
  await artifact(join(work, "b"), 2, "2");
});
after(() => rmSync(work, { recursive: true, force: true }));

test("promote installs <root>/<id>/<version> with the scores and a fresh createdAt, leaving no temporary", async () => {
  const root = join(work, "served1");
  mkdirSync(root);
  const exported = (await readArtifact(join(work, "a"))).createdAt;
  const r = await promoteArtifact(join(work, "a"), root, { "unconditional.div.div": 0.7, "eval.samples": 8 });
  assert.equal(r.dir, join(root, "gen", "2"));
  assert.equal(r.alreadyThere, false);
  const m = await readArtifact(r.dir); // every graph verifies in the installed copy
  assert.deepEqual(m.evaluation, { "unconditional.div.div": 0.7, "eval.samples": 8 });
  assert.ok(m.createdAt >= exported);
  assert.deepEqual(await recordedEvaluation(r.dir), m.evaluation);
  assert.deepEqual(readdirSync(join(root, "gen")), ["2"], "only the version folder, no hidden temporary");
  assert.deepEqual((await listVersions(root)).map((v) => `${v.id}@${v.version}`), ["gen@2"]);
  assert.equal((await findVersion(root, "gen", "2"))?.dir, r.dir);
  // Promoting the same artifact again (a re-run after a crash) finds it there.
  assert.equal((await promoteArtifact(join(work, "a"), root, {})).alreadyThere, true);
  // A different artifact under the same id@version is refused, the installed one untouched.
  await assert.rejects(promoteArtifact(join(work, "b"), root, {}), (e: Error) => e instanceof PromoteError && /already holds a different artifact/.test(e.message));
  assert.deepEqual((await readArtifact(r.dir)).evaluation, m.evaluation);
});

test("a corrupt source is refused before anything reaches the served folder", async () => {
  const root = join(work, "served2");
  mkdirSync(root);
  const bad = join(work, "bad");
  await artifact(bad, 3, "9");
  const data = readdirSync(bad).find((f) => f.endsWith(".onnx.data"))!;
  writeFileSync(join(bad, data), Buffer.concat([readFileSync(join(bad, data)), Buffer.from([1])]));
  await assert.rejects(promoteArtifact(bad, root, {}), /bytes, the manifest says/);
  assert.deepEqual(readdirSync(root), []);
});

test("version names cannot leave the models folder", () => {
  assert.throws(() => versionDir("/m", "gen", "../x"), PromoteError);
  assert.throws(() => versionDir("/m", ".hidden", "1"), PromoteError);
  assert.equal(versionDir("/m", "gen", "2026.11.29-101500"), "/m/gen/2026.11.29-101500");
});

test("retire removes a version", async () => {
  const root = join(work, "served3");
  const { dir } = await promoteArtifact(join(work, "a"), root, { x: 1 });
  assert.equal(await retireVersion(dir), true);
  assert.deepEqual(readdirSync(join(root, "gen")), []);
  assert.equal(await retireVersion(dir), false);
});
