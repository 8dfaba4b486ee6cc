import { test } from "node:test";
import assert from "node:assert/strict";
import { modelConfigFromPreset } from "@ldtext/core";
import { initWeights } from "../model/model.ts";
import { condConfigFromEncoder, copyEncoderIntoCondition } from "./cond-init.ts";

test("--cond-from encoder: CondEnc gets Enc's trunk, keeps its null condition, and refuses a differently shaped CondEnc", () => {
  const base = modelConfigFromPreset("tiny", "summarize", 300);
  const cfg = condConfigFromEncoder(base);
  assert.deepEqual(cfg.condEnc, cfg.enc);
  const w = initWeights(cfg, 1);
  assert.notDeepEqual(w.get("cond.tok_emb")!.data, w.get("enc.tok_emb")!.data, "different before the copy");
  const { weights, copied } = copyEncoderIntoCondition(w, cfg);
  const condNames = [...w.keys()].filter((n) => n.startsWith("cond.") && n !== "cond.null");
  assert.equal(copied, condNames.length);
  for (const n of condNames) assert.deepEqual(weights.get(n)!.data, w.get(`enc.${n.slice(5)}`)!.data, n);
  assert.deepEqual(weights.get("cond.null")!.data, w.get("cond.null")!.data);
  assert.equal(weights.get("enc.out.w"), w.get("enc.out.w"), "other weights untouched");
  assert.throws(() => copyEncoderIntoCondition(initWeights(base, 1), { ...base, condEnc: { ...base.enc, layers: base.enc.layers + 1 } }), /CondEnc shaped like Enc/);
});
