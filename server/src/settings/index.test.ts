import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { loadSettings, SettingsError } from "./index.ts";

describe("loadSettings", () => {
  test("defaults", () => {
    const c = loadSettings({});
    assert.equal(c.PORT, 8080);
    assert.equal(c.MODELS_DIR, "models");
    assert.equal(c.EP, "auto");
    assert.equal(c.EP_STRICT, false);
    assert.deepEqual(c.API_KEYS, []);
  });
  test("parses numbers, lists and flags", () => {
    const c = loadSettings({ PORT: "9000", API_KEYS: "a, b,,c", EP: "cuda", EP_STRICT: "1", WORKERS: "2" });
    assert.equal(c.PORT, 9000);
    assert.deepEqual(c.API_KEYS, ["a", "b", "c"]);
    assert.equal(c.EP, "cuda");
    assert.equal(c.EP_STRICT, true);
    assert.equal(c.WORKERS, 2);
  });
  test("names every bad key", () => {
    assert.throws(() => loadSettings({ PORT: "-1", EP: "tpu", WORKERS: "two" }), (e: unknown) => {
      assert.ok(e instanceof SettingsError);
      assert.match(e.message, /PORT/);
      assert.match(e.message, /EP/);
      assert.match(e.message, /WORKERS/);
      return true;
    });
  });
  test("timers are capped (setTimeout would fire at once above 2^31 ms)", () => {
    assert.throws(() => loadSettings({ REQUEST_DEADLINE_MS: "3000000000" }), /REQUEST_DEADLINE_MS/);
    assert.throws(() => loadSettings({ QUEUE_SIZE: "0" }), /QUEUE_SIZE/);
  });
  test("DEFAULT_MODELS: one model id per task, anything else named", () => {
    assert.deepEqual(loadSettings({}).DEFAULT_MODELS, {});
    assert.deepEqual(loadSettings({ DEFAULT_MODELS: "generate=rocstories-generate, summarize=xsum-summarize" }).DEFAULT_MODELS, { generate: "rocstories-generate", summarize: "xsum-summarize" });
    assert.deepEqual(loadSettings({ DEFAULT_MODELS: "summarize:xsum" }).DEFAULT_MODELS, { summarize: "xsum" });
    assert.throws(() => loadSettings({ DEFAULT_MODELS: "translate=x" }), /DEFAULT_MODELS: "translate=x" is not task=model-id/);
    assert.throws(() => loadSettings({ DEFAULT_MODELS: "generate=a,generate=b" }), /DEFAULT_MODELS: generate is given twice/);
    assert.throws(() => loadSettings({ DEFAULT_MODELS: "generate=" }), /DEFAULT_MODELS/);
  });
  test("a headers timeout above the request timeout is refused (Node would throw at listen)", () => {
    assert.throws(() => loadSettings({ HEADERS_TIMEOUT_MS: "5000", REQUEST_TIMEOUT_MS: "1000" }), /HEADERS_TIMEOUT_MS/);
    assert.equal(loadSettings({}).REQUEST_TIMEOUT_MS, 30_000);
  });
  test("default steps above max is refused", () => {
    assert.throws(() => loadSettings({ MAX_STEPS: "10", DEFAULT_STEPS: "50" }), /DEFAULT_STEPS/);
  });
});
