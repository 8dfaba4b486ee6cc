// Golden ids of the training sampler (issue 18, "Must show"): a tiny model with seeded random
// weights, fixed seeds, DDIM as training samples it. Recorded before the architecture work so a
// shared sampler must reproduce them. Re-record only for an intended change of outputs:
// GOLDEN_RECORD=1 npx tsx --test training/src/train/samples.golden.test.ts
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { CompactTokenizer, condMaxLenOf, modelConfigFromPreset } from "@ldtext/core";
import { initBackend } from "../backend/index.ts";
import { LatentDiffusionModel } from "../model/model.ts";
import { buildNetworks } from "../model/inference.ts";
import { sampleIds, sampleTexts } from "./samples.ts";

const FIXTURE = new URL("./samples.golden.json", import.meta.url);
const RECORD = process.env.GOLDEN_RECORD === "1";

before(async () => {
  await initBackend("wasm", { log: null });
});

test("training samples (generate and summarize) give the recorded ids and texts", async () => {
  const tok = CompactTokenizer.build(["the river runs to the sea and back again, one two three four five"], { topK: 40 });
  const got: Record<string, { ids: number[]; texts: string[] }> = {};
  for (const task of ["generate", "summarize"] as const) {
    const cfg = modelConfigFromPreset("tiny", task, tok.vocabSize);
    const model = LatentDiffusionModel.create(cfg, 17);
    const nets = buildNetworks(cfg, model.snapshot(), model.norm.state());
    const count = 2;
    const S = condMaxLenOf(cfg);
    const documents = task === "summarize"
      ? { tokens: Int32Array.from({ length: count * S }, (_, i) => (i % S < 8 ? 3 + (i % 30) : 0)), mask: Float32Array.from({ length: count * S }, (_, i) => (i % S < 8 ? 1 : 0)), length: S }
      : undefined;
    const opts = { count, steps: 4, seed: 23, documents };
    got[task] = { ids: Array.from(await sampleIds(nets, opts)), texts: await sampleTexts(nets, tok, opts) };
    nets.dispose();
    model.dispose();
  }
  tok.free();
  if (RECORD) writeFileSync(FIXTURE, JSON.stringify(got, null, 2) + "\n");
  else assert.deepEqual(got, JSON.parse(readFileSync(FIXTURE, "utf8")));
});
