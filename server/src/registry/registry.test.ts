// Hot reload over loopback with real ONNX Runtime: a good new version is swapped in under load with
// zero failed requests; a corrupt one is refused while the old version keeps serving.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { metricValue, postJson, startTestServer, tempDir, writeModel } from "../testing/fixtures.ts";
import type { RunningServer } from "../server.ts";
import { findArtifacts } from "./registry.ts";

const admin = { authorization: "Bearer adm" };

describe("hot reload", () => {
  let models: string;
  let srv: RunningServer;
  before(async () => {
    models = tempDir("ldtext-reload-");
    await writeModel(models, "generate", { version: "1", seed: 1 });
    srv = await startTestServer(models, { ADMIN_KEYS: "adm", QUEUE_SIZE: "256" });
  });
  after(async () => {
    await srv.shutdown();
  });

  test("hidden folders (atomic-write temporaries) are not candidates", async () => {
    const found = await findArtifacts(models);
    assert.deepEqual(found.map((f) => f.id), ["tiny-generate"]);
  });

  test("a good new version is served with zero failed requests during the swap", async () => {
    const statuses: number[] = [];
    const versions: string[] = [];
    let stop = false;
    const client = async () => {
      while (!stop) {
        const r = await postJson(`${srv.url}/generate`, { steps: 15, n: 2 });
        statuses.push(r.status);
        versions.push((r.json.model as { version: string } | undefined)?.version ?? "none");
      }
    };
    const clients = [client(), client(), client(), client()];
    while (statuses.length < 8) await new Promise((r) => setTimeout(r, 10));
    await writeModel(models, "generate", { version: "2", seed: 2 });
    const reload = await postJson(`${srv.url}/admin/reload`, {}, admin);
    assert.equal(reload.status, 200, JSON.stringify(reload.json));
    assert.deepEqual(reload.json.loaded, [{ id: "tiny-generate", version: "2" }]);
    const afterSwap = statuses.length;
    while (statuses.length < afterSwap + 12) await new Promise((r) => setTimeout(r, 10));
    stop = true;
    await Promise.all(clients);
    assert.ok(statuses.every((s) => s === 200), `statuses: ${[...new Set(statuses)].join()}`);
    assert.ok(versions.includes("1") && versions.includes("2"));
    assert.equal(versions.at(-1), "2");
    const m = (await (await fetch(`${srv.url}/models`)).json()) as { models: { version: string }[] };
    assert.deepEqual(m.models.map((x) => x.version), ["2"]);
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    assert.equal(metricValue(text, 'ldtext_model_info{model="tiny-generate",version="2"'), 1);
    assert.ok(!text.includes('ldtext_model_info{model="tiny-generate",version="1"'), "old version no longer reported");
  });

  test("a corrupt version is refused with the reason and the old keeps serving", async () => {
    const dir = await writeModel(models, "generate", { version: "3", seed: 3 });
    const data = join(dir, "denoiser.onnx.data");
    const bytes = readFileSync(data);
    bytes[100] ^= 0xff;
    writeFileSync(data, bytes);
    const reload = await postJson(`${srv.url}/admin/reload`, {}, admin);
    assert.equal(reload.status, 422);
    const failed = reload.json.failed as { dir: string; error: string }[];
    assert.equal(failed.length, 1);
    assert.match(failed[0].error, /denoiser.onnx.data.*(sha256|fails verification)/);
    // relative to MODELS_DIR, no absolute path, no checksums (the log has them)
    assert.equal(failed[0].dir, "generate-3");
    assert.ok(!JSON.stringify(reload.json).includes(models), JSON.stringify(reload.json));
    assert.doesNotMatch(failed[0].error, /[0-9a-f]{64}/);
    const r = await postJson(`${srv.url}/generate`, { steps: 3 });
    assert.equal(r.status, 200);
    assert.equal((r.json.model as { version: string }).version, "2");
    const m = (await (await fetch(`${srv.url}/models`)).json()) as { lastReload: { failed: unknown[] } };
    assert.equal(m.lastReload.failed.length, 1);
    assert.equal((await fetch(`${srv.url}/health/ready`)).status, 200);
  });

  test("removing the serving version's folder (a rollback) falls back to the newest good one left", async () => {
    const serving = (await findArtifacts(models)).find((c) => c.version === "2");
    assert.ok(serving);
    rmSync(serving.dir, { recursive: true });
    await postJson(`${srv.url}/admin/reload`, {}, admin); // version 3 is still corrupt: 422, then version 1
    const r = await postJson(`${srv.url}/generate`, { steps: 3 });
    assert.equal(r.status, 200);
    assert.equal((r.json.model as { version: string }).version, "1");
  });
});

describe("polling for new version folders", () => {
  let models: string;
  let srv: RunningServer;
  before(async () => {
    models = tempDir("ldtext-poll-");
    await writeModel(models, "generate", { version: "1" });
    srv = await startTestServer(models, { MODEL_POLL_MS: "100" });
  });
  after(async () => {
    await srv.shutdown();
  });

  test("a new version folder is picked up without a signal or request", async () => {
    await writeModel(models, "generate", { version: "7", seed: 7 });
    let version = "";
    for (let i = 0; i < 100 && version !== "7"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const m = (await (await fetch(`${srv.url}/models`)).json()) as { models: { version: string }[] };
      version = m.models[0]?.version ?? "";
    }
    assert.equal(version, "7");
  });
});

describe("a crashed engine worker", () => {
  let srv: RunningServer;
  before(async () => {
    const models = tempDir("ldtext-crash-");
    await writeModel(models, "generate", { version: "1" });
    srv = await startTestServer(models);
  });
  after(async () => {
    await srv.shutdown();
  });

  test("is replaced by a fresh copy of the model; serving resumes", async () => {
    const before = srv.registry.models[0];
    assert.ok(before.healthy);
    await before.workers[0].terminate();
    let replaced = false;
    for (let i = 0; i < 300 && !replaced; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const now = srv.registry.models[0];
      replaced = now !== undefined && now !== before && now.healthy;
    }
    assert.ok(replaced, "a fresh copy was loaded");
    assert.equal((await fetch(`${srv.url}/health/ready`)).status, 200);
    const r = await postJson(`${srv.url}/generate`, { steps: 3 });
    assert.equal(r.status, 200);
  });
});

describe("DENOISER=int8", () => {
  test("runs the artifact's quantized denoiser, and refuses an artifact without one", async () => {
    const models = tempDir("ldtext-int8-");
    await writeModel(models, "generate", { quantize: "int8" });
    const srv = await startTestServer(models, { DENOISER: "int8" });
    try {
      const m = (await (await fetch(`${srv.url}/models`)).json()) as { models: { denoiser: string }[] };
      assert.equal(m.models[0].denoiser, "int8");
      assert.equal((await postJson(`${srv.url}/generate`, { steps: 3 })).status, 200);
    } finally {
      await srv.shutdown();
    }
    const plain = tempDir("ldtext-int8-");
    await writeModel(plain, "generate");
    const srv2 = await startTestServer(plain, { DENOISER: "int8" });
    try {
      assert.equal((await fetch(`${srv2.url}/health/ready`)).status, 503);
      const m = (await (await fetch(`${srv2.url}/models`)).json()) as { lastReload: { failed: { error: string }[] } };
      assert.match(m.lastReload.failed[0].error, /no denoiser_int8 graph/);
    } finally {
      await srv2.shutdown();
    }
  });
});
