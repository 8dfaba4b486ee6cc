import { test } from "node:test";
import assert from "node:assert/strict";
import { sessionOptions } from "./session.ts";

test("the project's session options: CPU, full optimization, one inter-op thread, quiet; only given settings override ORT", () => {
  assert.deepEqual(sessionOptions({ threads: 2 }), { executionProviders: ["cpu"], graphOptimizationLevel: "all", intraOpNumThreads: 2, interOpNumThreads: 1, logSeverityLevel: 3 });
  assert.deepEqual(sessionOptions(), { executionProviders: ["cpu"], graphOptimizationLevel: "all", interOpNumThreads: 1, logSeverityLevel: 3 });
  const cuda = sessionOptions({ ep: "cuda", deviceId: 1, cpuMemArena: false, memPattern: true, optimization: "basic" });
  assert.deepEqual(cuda.executionProviders, [{ name: "cuda", deviceId: 1 }, "cpu"]);
  assert.equal(cuda.enableCpuMemArena, false);
  assert.equal(cuda.enableMemPattern, true);
  assert.equal(cuda.graphOptimizationLevel, "basic");
});
