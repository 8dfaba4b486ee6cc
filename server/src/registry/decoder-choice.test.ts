// DECODER=auto|nar|ar end to end: real onnxruntime-node workers, real HTTP on loopback. A model
// whose artifact has ArDec's graphs (the KV-cached ar_memory + ar_step, or an older artifact's
// ar_decoder) decodes with them by default, and its texts are those of offline sampling with the
// same decoder (export's sampleArtifact runs the same OrtModel); /models says which decoder serves.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { sampleArtifact } from "@ldtext/export";
import { postJson, startTestServer, tempDir, writeModel } from "../testing/fixtures.ts";

interface ModelsBody {
  models: { decoder: string }[];
  lastReload?: { failed: { error: string }[] };
}

describe("DECODER", () => {
  test("auto serves ArDec when the artifact has it (the texts of sampleArtifact's greedy decode); nar serves Dec", async () => {
    const models = tempDir("ldtext-ardec-");
    const dir = await writeModel(models, "generate", { arDec: true, seed: 8 });
    const request = { n: 2, steps: 3, sampler: "ddim", seed: 7 } as const;
    for (const [setting, want] of [["auto", "ar"], ["nar", "nar"]] as const) {
      const srv = await startTestServer(models, { DECODER: setting });
      try {
        const m = (await (await fetch(`${srv.url}/models`)).json()) as ModelsBody;
        assert.equal(m.models[0].decoder, want);
        const r = await postJson(`${srv.url}/generate`, request);
        assert.equal(r.status, 200, JSON.stringify(r.json));
        const offline = await sampleArtifact({ artifactDir: dir, ...request, decoder: setting });
        assert.equal(offline.decoder, want);
        assert.deepEqual(r.json.texts, offline.texts, `DECODER=${setting}: the server's texts differ from offline sampling`);
      } finally {
        await srv.shutdown();
      }
    }
  });

  test("an artifact with only the uncached ar_decoder serves ArDec too, with the texts of the KV-cached pair", async () => {
    const cachedModels = tempDir("ldtext-ardec-");
    const cached = await writeModel(cachedModels, "generate", { arDec: true, seed: 9 });
    const models = tempDir("ldtext-ardec-");
    await writeModel(models, "generate", { arDec: "uncached", seed: 9 });
    const request = { n: 2, steps: 3, sampler: "ddim", seed: 11 } as const;
    const srv = await startTestServer(models, { DECODER: "ar" });
    try {
      const m = (await (await fetch(`${srv.url}/models`)).json()) as ModelsBody;
      assert.equal(m.models[0].decoder, "ar");
      const r = await postJson(`${srv.url}/generate`, request);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      const offline = await sampleArtifact({ artifactDir: cached, ...request, decoder: "ar" });
      assert.deepEqual(r.json.texts, offline.texts);
    } finally {
      await srv.shutdown();
    }
  });

  test("ar refuses a model without ArDec, saying why; auto serves Dec for it", async () => {
    const models = tempDir("ldtext-ardec-");
    await writeModel(models, "generate");
    const srv = await startTestServer(models, { DECODER: "ar" });
    try {
      assert.equal((await fetch(`${srv.url}/health/ready`)).status, 503);
      const m = (await (await fetch(`${srv.url}/models`)).json()) as ModelsBody;
      assert.match(m.lastReload!.failed[0].error, /decoder "ar" needs an artifact with the ArDec graphs \(ar_memory \+ ar_step, or ar_decoder\)/);
    } finally {
      await srv.shutdown();
    }
    const srv2 = await startTestServer(models);
    try {
      const m = (await (await fetch(`${srv2.url}/models`)).json()) as ModelsBody;
      assert.equal(m.models[0].decoder, "nar");
    } finally {
      await srv2.shutdown();
    }
  });
});
