// Golden texts (issue 18, "Must show"): for fixed seeds, what POST /generate, POST /summarize with
// guidance (through a live loopback server) and the export package's sampleArtifact give on tiny
// random-weight artifacts. Recorded once before the architecture work, so refactors of the sampler,
// the routes or the contract must give the very same texts. Re-record (only for an intended change
// of outputs, and say so in the commit) with: GOLDEN_RECORD=1 npx tsx --test server/src/golden.test.ts
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sampleArtifact } from "@ldtext/export";
import { postJson, startTestServer, tempDir, writeModel } from "./testing/fixtures.ts";
import type { RunningServer } from "./server.ts";

const FIXTURE = new URL("./golden.fixture.json", import.meta.url);
const RECORD = process.env.GOLDEN_RECORD === "1";

interface Golden {
  generate: Record<string, string[]>;
  summarize: Record<string, string[]>;
  sampleArtifact: Record<string, string[]>;
  /** The placeholder vocabulary decodes many ids to U+FFFD, so the ids are kept too: a stronger check. */
  sampleArtifactIds: Record<string, number[][]>;
}

// Every sampler, two seeds; summarize with guidance 2 (guided rows) and without.
const GENERATE_CASES = [
  { n: 3, steps: 6, sampler: "ddim", seed: 11 },
  { n: 3, steps: 6, sampler: "sde", seed: 11 },
  { n: 2, steps: 5, sampler: "ode", seed: 12345 },
] as const;
const DOCUMENT = "the river runs to the sea and back again, one two three four five";
const SUMMARIZE_CASES = [
  { steps: 5, sampler: "sde", seed: 40, guidance: 2 },
  { steps: 5, sampler: "ddim", seed: 7, guidance: 1.5 },
  { steps: 4, sampler: "ode", seed: 3, guidance: 0 },
] as const;

const key = (c: Record<string, unknown>) => JSON.stringify(c);

let srv: RunningServer;
let modelsDir: string;
const got: Golden = { generate: {}, summarize: {}, sampleArtifact: {}, sampleArtifactIds: {} };

before(async () => {
  modelsDir = tempDir("ldtext-golden-");
  await writeModel(modelsDir, "generate", { seed: 5 });
  await writeModel(modelsDir, "summarize", { seed: 6 });
  // No response cache: every answer is sampled.
  srv = await startTestServer(modelsDir, { RESPONSE_CACHE_SIZE: "0" });
});
after(async () => {
  await srv.shutdown();
  if (RECORD) writeFileSync(FIXTURE, JSON.stringify(got, null, 2) + "\n");
});

function expected(): Golden | null {
  if (RECORD) return null;
  return JSON.parse(readFileSync(FIXTURE, "utf8")) as Golden;
}

test("POST /generate gives the recorded texts", async () => {
  const want = expected();
  for (const c of GENERATE_CASES) {
    const r = await postJson(`${srv.url}/generate`, c);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const texts = r.json.texts as string[];
    got.generate[key(c)] = texts;
    if (want) assert.deepEqual(texts, want.generate[key(c)], `/generate ${key(c)}`);
  }
});

test("POST /summarize (with guidance) gives the recorded texts", async () => {
  const want = expected();
  for (const c of SUMMARIZE_CASES) {
    const r = await postJson(`${srv.url}/summarize`, { document: DOCUMENT, ...c });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const texts = r.json.texts as string[];
    got.summarize[key(c)] = texts;
    if (want) assert.deepEqual(texts, want.summarize[key(c)], `/summarize ${key(c)}`);
  }
});

test("sampleArtifact gives the recorded texts for the same seeds (and the server's)", async () => {
  const want = expected();
  const gen = join(modelsDir, "generate-1");
  const sum = join(modelsDir, "summarize-1");
  for (const c of GENERATE_CASES) {
    const r = await sampleArtifact({ artifactDir: gen, n: c.n, steps: c.steps, sampler: c.sampler, seed: c.seed, batchSize: 4 });
    const k = `generate ${key(c)}`;
    got.sampleArtifact[k] = r.texts;
    got.sampleArtifactIds[k] = r.ids.map((ids) => Array.from(ids));
    if (want) {
      assert.deepEqual(r.texts, want.sampleArtifact[k], `sampleArtifact ${k}`);
      assert.deepEqual(got.sampleArtifactIds[k], want.sampleArtifactIds[k], `sampleArtifact ids ${k}`);
    }
    // "Samples exactly as the server does": the same texts as the route.
    assert.deepEqual(r.texts, got.generate[key(c)], `sampleArtifact vs /generate ${key(c)}`);
  }
  for (const c of SUMMARIZE_CASES) {
    const r = await sampleArtifact({ artifactDir: sum, documents: [DOCUMENT], steps: c.steps, sampler: c.sampler, seed: c.seed, guidance: c.guidance, batchSize: 4 });
    const k = `summarize ${key(c)}`;
    got.sampleArtifact[k] = r.texts;
    got.sampleArtifactIds[k] = r.ids.map((ids) => Array.from(ids));
    if (want) {
      assert.deepEqual(r.texts, want.sampleArtifact[k], `sampleArtifact ${k}`);
      assert.deepEqual(got.sampleArtifactIds[k], want.sampleArtifactIds[k], `sampleArtifact ids ${k}`);
    }
    assert.deepEqual(r.texts, got.summarize[key(c)], `sampleArtifact vs /summarize ${key(c)}`);
  }
});
