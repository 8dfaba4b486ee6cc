// Which model answers a request that names none: DEFAULT_MODELS when configured; otherwise the task's
// only model, or, with several ids, the one deployed first — a model id installed later (e.g. by a
// pipeline run under a new id) serves only requests that name it, before and after a restart, and
// stops serving once its folders are removed.
// Real server over loopback, real ONNX Runtime, random-weight tiny artifacts.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { postJson, startTestServer, tempDir, writeModel } from "../testing/fixtures.ts";
import type { RunningServer } from "../server.ts";

const admin = { authorization: "Bearer adm" };

async function servedBy(url: string, body: Record<string, unknown> = {}): Promise<string> {
  const r = await postJson(`${url}/generate`, { steps: 2, seed: 1, ...body });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const m = r.json.model as { id: string; version: string };
  return `${m.id}@${m.version}`;
}

async function defaults(url: string): Promise<Record<string, boolean>> {
  const body = (await (await fetch(`${url}/models`)).json()) as { models: { id: string; version: string; default: boolean }[] };
  return Object.fromEntries(body.models.map((m) => [`${m.id}@${m.version}`, m.default]));
}

/** Rewrites a version folder's manifest createdAt (what "deployed first" reads). */
function stamp(dir: string, createdAt: string): void {
  const path = join(dir, "manifest.json");
  const m = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  writeFileSync(path, JSON.stringify({ ...m, createdAt }, null, 2));
}

describe("default model per task (no DEFAULT_MODELS)", () => {
  const models = tempDir("ldtext-default-");
  let srv: RunningServer;
  before(async () => {
    stamp(await writeModel(models, "generate", { id: "stories", version: "1.1.0", folder: "stories/1.1.0" }), "2026-01-01T00:00:00.000Z");
    await writeModel(models, "summarize");
    srv = await startTestServer(models, { ADMIN_KEYS: "adm" });
  });
  after(async () => {
    await srv?.shutdown();
  });

  test("a new model id installed beside the served one answers only when named", async () => {
    assert.equal(await servedBy(srv.url), "stories@1.1.0");
    // "generate" sorts before "stories" and is newer: neither makes it the default.
    await writeModel(models, "generate", { id: "generate", version: "2026.12.04-1", folder: "generate/2026.12.04-1", seed: 5 });
    const reload = await postJson(`${srv.url}/admin/reload`, {}, admin);
    assert.equal(reload.status, 200, JSON.stringify(reload.json));
    assert.deepEqual(reload.json.loaded, [{ id: "generate", version: "2026.12.04-1" }]);
    assert.equal(await servedBy(srv.url), "stories@1.1.0");
    assert.equal(await servedBy(srv.url, { model: "generate" }), "generate@2026.12.04-1");
    assert.deepEqual(await defaults(srv.url), { "generate@2026.12.04-1": false, "stories@1.1.0": true, "tiny-summarize@1": true });
  });

  test("after a restart the id deployed first is still the default, also once it has a newer version", async () => {
    await srv.shutdown();
    srv = await startTestServer(models, { ADMIN_KEYS: "adm" });
    assert.equal(await servedBy(srv.url), "stories@1.1.0");
    await writeModel(models, "generate", { id: "stories", version: "1.2.0", folder: "stories/1.2.0", seed: 6 });
    assert.equal((await postJson(`${srv.url}/admin/reload`, {}, admin)).status, 200);
    assert.equal(await servedBy(srv.url), "stories@1.2.0");
    await srv.shutdown();
    srv = await startTestServer(models, { ADMIN_KEYS: "adm" });
    assert.equal(await servedBy(srv.url), "stories@1.2.0", "the id's oldest version folder dates it, not its newest");
  });

  test("removing every folder of the new id (a rollback) stops it serving; the default is untouched", async () => {
    await rm(join(models, "generate"), { recursive: true });
    assert.equal((await postJson(`${srv.url}/admin/reload`, {}, admin)).status, 200);
    const named = await postJson(`${srv.url}/generate`, { steps: 2, model: "generate" });
    assert.equal(named.status, 404, JSON.stringify(named.json));
    assert.equal(await servedBy(srv.url), "stories@1.2.0");
    assert.deepEqual(await defaults(srv.url), { "stories@1.2.0": true, "tiny-summarize@1": true });
  });
});

describe("DEFAULT_MODELS", () => {
  const models = tempDir("ldtext-default-cfg-");
  before(async () => {
    stamp(await writeModel(models, "generate", { id: "stories", version: "1", folder: "stories/1" }), "2026-01-01T00:00:00.000Z");
    await writeModel(models, "generate", { id: "generate", version: "2", folder: "generate/2", seed: 2 });
  });

  test("names the model that answers requests naming none", async () => {
    const srv = await startTestServer(models, { DEFAULT_MODELS: "generate=generate" });
    try {
      assert.equal(await servedBy(srv.url), "generate@2");
      assert.equal(await servedBy(srv.url, { model: "stories" }), "stories@1");
      assert.deepEqual(await defaults(srv.url), { "generate@2": true, "stories@1": false });
    } finally {
      await srv.shutdown();
    }
  });

  test("a configured default that is not loaded is not replaced by another id: 503 naming it; named requests still work", async () => {
    const srv = await startTestServer(models, { DEFAULT_MODELS: "generate=rocstories-generate" });
    try {
      const r = await postJson(`${srv.url}/generate`, { steps: 2 });
      assert.equal(r.status, 503, JSON.stringify(r.json));
      assert.match((r.json.error as { message: string }).message, /default generate model "rocstories-generate" \(DEFAULT_MODELS\) is not loaded/);
      assert.equal(await servedBy(srv.url, { model: "stories" }), "stories@1");
      assert.deepEqual(await defaults(srv.url), { "generate@2": false, "stories@1": false });
    } finally {
      await srv.shutdown();
    }
  });
});
