import { test } from "node:test";
import assert from "node:assert/strict";
import { stepFlops, type StepShape } from "./flops.ts";

const small: StepShape = { params: { enc: 7.6e6, dec: 7.6e6, dif: 3.6e6, cond: 0 }, tokens: 32 * 64, selfCondProb: 0.5, freezeAe: false, cachedEncodings: false, decoderNoiseRows: 0.25 };

test("step FLOPs: 6 per parameter-token for trained passes, 2 for forward-only ones", () => {
  // Dif-only with cached encodings: Dif forward+backward (6·P·T) and half the steps a self-conditioning forward (2·P·T·0.5).
  const frozen = stepFlops({ ...small, freezeAe: true, cachedEncodings: true });
  assert.equal(frozen, 6 * 3.6e6 * 2048 + 2 * 3.6e6 * 2048 * 0.5);
  // Encoding every batch adds an Enc forward.
  assert.equal(stepFlops({ ...small, freezeAe: true }) - frozen, 2 * 7.6e6 * 2048);
  // A joint step also trains Enc and Dec (Dec on 1.25 × the rows) and back-propagates through Dif into Enc.
  const joint = stepFlops(small);
  assert.equal(joint, frozen + 6 * 7.6e6 * 2048 + 6 * 7.6e6 * 2048 * 1.25 + 6 * 3.6e6 * 2048);
  assert.ok(joint / frozen > 4, "the frozen stage is the cheap one");
});

test("step FLOPs of --decoder-only: Dif forward (and its self-conditioning pre-pass), Dec trained on 1.25 × the rows", () => {
  const dec = stepFlops({ ...small, decoderOnly: true, cachedEncodings: true });
  assert.equal(dec, 2 * 3.6e6 * 2048 * 1.5 + 6 * 7.6e6 * 2048 * 1.25);
  assert.ok(dec < stepFlops(small));
});
