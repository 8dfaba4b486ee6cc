import { test } from "node:test";
import assert from "node:assert/strict";
import { buildStepBatch } from "./batch.ts";
import type { BatchJob } from "./batch.ts";

const ld = 2;
const Dc = 2;

function job(over: Partial<BatchJob> & { spec: BatchJob["spec"] }): BatchJob {
  const n = over.spec.n;
  return { rows: over.spec.guidance > 0 ? 2 * n : n, grid: [1, 0.5, 0.01], step: 0, x: Float32Array.from({ length: n * ld }, (_, i) => 10 + i), xsc: new Float32Array(n * ld).fill(-1), ...over };
}

test("layout: each job's conditional rows, then its null rows (same x, x_sc), padded condition keys", () => {
  const guided = job({
    spec: { n: 2, guidance: 2, sampler: "ddim", seed: 5 },
    cond: { cond: Float32Array.from([1, 1, 2, 2]), len: 2, nullCond: Float32Array.from([9, 9]) },
  });
  const plain = job({
    spec: { n: 1, guidance: 0, sampler: "sde", seed: 6, firstSample: 3 },
    step: 1,
    x: Float32Array.from([7, 7]),
    cond: { cond: Float32Array.from([3, 3, 4, 4, 5, 5]), len: 3, nullCond: Float32Array.from([9, 9]) },
  });
  const b = buildStepBatch([guided, plain], ld, Dc);
  assert.equal(b.rows, 5);
  assert.deepEqual(Array.from(b.x), [10, 11, 12, 13, 10, 11, 12, 13, 7, 7]);
  assert.deepEqual(Array.from(b.t), [1, 1, 1, 1, 0.5]);
  const { S, data, mask } = b.cond!;
  assert.equal(S, 3, "padded to the longest encoding");
  assert.deepEqual(Array.from(mask), [1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 1]);
  assert.deepEqual(Array.from(data.subarray(2 * S * Dc, 2 * S * Dc + Dc)), [9, 9], "row 2 is sample 0's null row");
  assert.deepEqual(
    b.samples.map((p) => [p.row, p.uncondRow, p.sample, p.init, p.t, p.s]),
    [
      [0, 2, 0, true, 1, 0.5],
      [1, 3, 1, true, 1, 0.5],
      [4, -1, 3, false, 0.5, 0.01],
    ],
  );
});

test("an encoding with its own mask keeps it (training's fixed-length documents)", () => {
  const padded = job({
    spec: { n: 1, guidance: 0, sampler: "ddim", seed: 1 },
    cond: { cond: new Float32Array(3 * Dc).fill(1), len: 3, mask: Float32Array.from([1, 0, 1]), nullCond: new Float32Array(Dc) },
  });
  const b = buildStepBatch([padded], ld, Dc);
  assert.deepEqual(Array.from(b.cond!.mask), [1, 0, 1]);
});

test("unconditional models get no condition rows", () => {
  const b = buildStepBatch([job({ spec: { n: 2, guidance: 0, sampler: "ode", seed: 1 } })], ld, 0);
  assert.equal(b.cond, undefined);
  assert.equal(b.rows, 2);
});
