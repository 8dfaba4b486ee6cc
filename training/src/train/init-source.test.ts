// --init-weights: which of an --init-from checkpoint's weights a run starts from.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { FloatWeights } from "@ldtext/core";
import { initWeightSet } from "./init-source.ts";

const w = (v: number, n = 3) => ({ shape: [n], data: new Float32Array(n).fill(v) });

test("--init-weights ema takes the EMA tensors, overlaid on the raw ones where the EMA lacks a weight; raw takes the raw ones", () => {
  const weights: FloatWeights = new Map([["enc.a", w(1)], ["dif.b", w(2)], ["cond.null", w(3)]]);
  const ema: FloatWeights = new Map([["enc.a", w(10)], ["dif.b", w(20)]]);
  const ckpt = { dir: "/nonexistent/checkpoint", weights, ema };
  const fromEma = initWeightSet(ckpt, "ema");
  assert.equal(fromEma.get("enc.a"), ema.get("enc.a"));
  assert.equal(fromEma.get("dif.b"), ema.get("dif.b"));
  assert.equal(fromEma.get("cond.null"), weights.get("cond.null"), "a weight without an EMA copy keeps its raw value (as export does)");
  assert.equal(fromEma.size, 3);
  assert.equal(initWeightSet(ckpt, "raw"), weights);
});

test("--init-weights ema on a checkpoint without EMA weights is refused", () => {
  assert.throws(() => initWeightSet({ dir: "/nonexistent/checkpoint", weights: new Map([["enc.a", w(1)]]) }, "ema"), /holds no EMA weights/);
});
