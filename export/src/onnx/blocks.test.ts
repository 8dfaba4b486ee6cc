import { test } from "node:test";
import assert from "node:assert/strict";
import { buildDenoiser } from "../networks/graphs.ts";
import { randomWeights } from "../networks/weights.ts";
import { denoiserFeeds } from "../../bench/feeds.ts";
import { maxAbsDiff, sessionFor, tinyConfig } from "../testing.ts";
import type { NetOptions } from "./blocks.ts";

for (const task of ["generate", "summarize"] as const) {
  test(`int8 ${task} denoiser: QuantizeLinear rows (default) = the elementwise chain; fused matmuls = separate; per-row close to fp32`, async () => {
    const cfg = tinyConfig(task);
    const w = randomWeights(cfg, 3);
    const feeds = denoiserFeeds(cfg, 4, 5, 8);
    const run = async (o: NetOptions): Promise<Float32Array> => {
      const s = await sessionFor(buildDenoiser(cfg, w, o), {}, { intraOpNumThreads: 1 });
      try {
        return (await s.run(feeds)).x0_hat.data as Float32Array;
      } finally {
        await s.release();
      }
    };
    const fp32 = await run({});
    const qdq = await run({ quantize: "int8" });
    const ew = await run({ quantize: "int8", int8RowOps: "elementwise" });
    const fused = await run({ quantize: "int8", int8Fuse: true });
    const ref = maxAbsDiff(fp32, new Float32Array(fp32.length));
    // x/(a/127) and x·(127/a) may round a tie differently: one level of one row, nothing more
    assert.ok(maxAbsDiff(qdq, ew) <= 1e-3 * ref, `qdq vs elementwise ${maxAbsDiff(qdq, ew)}`);
    assert.ok(maxAbsDiff(qdq, fused) <= 1e-5 * ref, `fused vs separate ${maxAbsDiff(qdq, fused)}`);
    assert.ok(maxAbsDiff(qdq, fp32) <= 0.05 * ref, `int8 vs fp32 ${maxAbsDiff(qdq, fp32)} (|x̂0| ≤ ${ref})`);
    assert.ok(maxAbsDiff(qdq, fp32) > 0, "the int8 graph quantizes");
  });
}
