// ModelConfig by task: a summarizer always carries its condition encoder and document length S
// (filled in when an older file lacks S), a generate config never does, and the shipped manifests
// read back to the same JSON they hold.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_COND_MAX_LEN, ModelConfigSchema, condMaxLenOf } from "./config.ts";
import { modelConfigFromPreset } from "./presets.ts";
import { parseManifest } from "./manifest.ts";

const MODELS = fileURLToPath(new URL("../../models", import.meta.url));

test("a summarize config written without condMaxLen reads with the default S; one without condEnc is refused", () => {
  const { condMaxLen: _s, ...old } = modelConfigFromPreset("tiny", "summarize", 300);
  const cfg = ModelConfigSchema.parse(old);
  assert.equal(cfg.task, "summarize");
  assert.equal(cfg.task === "summarize" && cfg.condMaxLen, DEFAULT_COND_MAX_LEN);
  assert.equal(condMaxLenOf(cfg), DEFAULT_COND_MAX_LEN);
  const { condEnc: _c, ...noEncoder } = old;
  assert.throws(() => ModelConfigSchema.parse(noEncoder), /condEnc/);
});

test("a generate config has no condition encoder or document length (S = 0), whatever the overrides", () => {
  const cfg = modelConfigFromPreset("tiny", "generate", 300, { condEnc: { dModel: 8, heads: 2, layers: 1, ffn: 16 }, condMaxLen: 9 });
  assert.equal("condEnc" in cfg || "condMaxLen" in cfg, false);
  assert.equal(condMaxLenOf(cfg), 0);
  const summarize = modelConfigFromPreset("tiny", "summarize", 300);
  assert.equal(summarize.condMaxLen, 32);
  assert.deepEqual(summarize.condEnc, { dModel: 32, heads: 2, layers: 1, ffn: 64 });
});

test("every shipped manifest parses to the JSON it holds (field order included); a summarizer's without condMaxLen still loads", () => {
  if (!existsSync(MODELS)) return;
  let summarizers = 0;
  for (const id of readdirSync(MODELS)) {
    if (!existsSync(join(MODELS, id)) || id.includes(".")) continue;
    for (const version of readdirSync(join(MODELS, id))) {
      const file = join(MODELS, id, version, "manifest.json");
      if (!existsSync(file)) continue;
      const json = JSON.parse(readFileSync(file, "utf8")) as { task: string; config: Record<string, unknown> };
      assert.equal(JSON.stringify(parseManifest(json, file).config), JSON.stringify(json.config), file);
      if (json.task !== "summarize") continue;
      summarizers++;
      const { condMaxLen: _s, ...config } = json.config;
      const m = parseManifest({ ...json, config }, file);
      assert.equal(m.config.task === "summarize" && m.config.condMaxLen, DEFAULT_COND_MAX_LEN, file);
    }
  }
  assert.ok(summarizers > 0, "no shipped summarizer found");
});
