import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { loadConfig, ConfigError } from "./index.ts";

describe("loadConfig", () => {
  test("defaults", () => {
    const c = loadConfig({});
    assert.equal(c.PORT, 8080);
    assert.equal(c.MODELS_DIR, "models");
    assert.equal(c.EP, "auto");
    assert.equal(c.EP_STRICT, false);
    assert.deepEqual(c.API_KEYS, []);
  });
  test("parses numbers, lists and flags", () => {
    const c = loadConfig({ PORT: "9000", API_KEYS: "a, b,,c", EP: "cuda", EP_STRICT: "1", WORKERS: "2" });
    assert.equal(c.PORT, 9000);
    assert.deepEqual(c.API_KEYS, ["a", "b", "c"]);
    assert.equal(c.EP, "cuda");
    assert.equal(c.EP_STRICT, true);
    assert.equal(c.WORKERS, 2);
  });
  test("names every bad key", () => {
    assert.throws(() => loadConfig({ PORT: "-1", EP: "tpu", WORKERS: "two" }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /PORT/);
      assert.match(e.message, /EP/);
      assert.match(e.message, /WORKERS/);
      return true;
    });
  });
  test("timers are capped (setTimeout would fire at once above 2^31 ms)", () => {
    assert.throws(() => loadConfig({ REQUEST_DEADLINE_MS: "3000000000" }), /REQUEST_DEADLINE_MS/);
    assert.throws(() => loadConfig({ QUEUE_SIZE: "0" }), /QUEUE_SIZE/);
  });
  test("DEFAULT_MODELS: one model id per task, anything else named", () => {
    assert.deepEqual(loadConfig({}).DEFAULT_MODELS, {});
    assert.deepEqual(loadConfig({ DEFAULT_MODELS: "generate=rocstories-generate, summarize=xsum-summarize" }).DEFAULT_MODELS, { generate: "rocstories-generate", summarize: "xsum-summarize" });
    assert.deepEqual(loadConfig({ DEFAULT_MODELS: "summarize:xsum" }).DEFAULT_MODELS, { summarize: "xsum" });
    assert.throws(() => loadConfig({ DEFAULT_MODELS: "translate=x" }), /DEFAULT_MODELS: "translate=x" is not task=model-id/);
    assert.throws(() => loadConfig({ DEFAULT_MODELS: "generate=a,generate=b" }), /DEFAULT_MODELS: generate is given twice/);
    assert.throws(() => loadConfig({ DEFAULT_MODELS: "generate=" }), /DEFAULT_MODELS/);
  });
  test("a headers timeout above the request timeout is refused (Node would throw at listen)", () => {
    assert.throws(() => loadConfig({ HEADERS_TIMEOUT_MS: "5000", REQUEST_TIMEOUT_MS: "1000" }), /HEADERS_TIMEOUT_MS/);
    assert.equal(loadConfig({}).REQUEST_TIMEOUT_MS, 30_000);
  });
  test("default steps above max is refused", () => {
    assert.throws(() => loadConfig({ MAX_STEPS: "10", DEFAULT_STEPS: "50" }), /DEFAULT_STEPS/);
  });
});
