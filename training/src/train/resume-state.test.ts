import { test } from "node:test";
import assert from "node:assert/strict";
import { SeededRandom } from "@ldtext/core";
import type { LoadedCheckpoint } from "@ldtext/core";
import { BatchSampler, type TokenizedSplit } from "./data.ts";
import { TimestepSampler } from "./timesteps.ts";
import { backendChangeNote, captureTrainerState, readTrainerState } from "./resume-state.ts";

const ckptWith = (extra: Record<string, unknown> | undefined) => ({ dir: "/ckpt", ...(extra ? { extra } : {}) }) as unknown as LoadedCheckpoint;

test("trainer resume state: written and read back through JSON, refused when missing or malformed", () => {
  const split: TokenizedSplit = { count: 5, length: 2, tokens: new Int32Array(10), fractionTruncated: 0 };
  const rng = new SeededRandom(7);
  const sampler = new BatchSampler(split, 2, 7);
  const timesteps = new TimestepSampler(0.01, true);
  sampler.next();
  sampler.next();
  timesteps.observe(timesteps.sample(rng, 2), Float32Array.of(0.5, 0.25));
  const state = captureTrainerState(rng, sampler, timesteps);
  const back = readTrainerState(ckptWith({ trainer: JSON.parse(JSON.stringify(state)) as unknown }));
  assert.deepEqual(back, state);
  assert.deepEqual(back.data, { epoch: 0, index: 4 });
  assert.equal(SeededRandom.fromState(back.rng).nextFloat(), rng.nextFloat());

  assert.throws(() => readTrainerState(ckptWith(undefined)), /lacks the trainer state/);
  assert.throws(() => readTrainerState(ckptWith({ backend: "wasm" })), /lacks the trainer state/);
  assert.throws(() => readTrainerState(ckptWith({ trainer: { ...state, data: { epoch: 0 } } })), /invalid trainer state \(data\.index/);
  assert.throws(() => readTrainerState(ckptWith({ trainer: { ...state, rng: { seed: 7, drawn: -1 } } })), /invalid trainer state \(rng\.drawn/);
});

test("a resume on another backend than the checkpoint's is told it is not bit-exact; the same or an unrecorded one is not", () => {
  assert.match(backendChangeNote(ckptWith({ backend: "wasm" }), "cpu") ?? "", /trained on the wasm backend, this run uses cpu/);
  assert.equal(backendChangeNote(ckptWith({ backend: "wasm" }), "wasm"), null);
  assert.equal(backendChangeNote(ckptWith(undefined), "cpu"), null);
});
