import { test } from "node:test";
import assert from "node:assert/strict";
import { checkRetryAfter, lostRequests, percentile, tally } from "./stats.ts";
import type { RequestRecord } from "./stats.ts";

const rec = (phase: RequestRecord["phase"], startMs: number, endMs: number, outcome: RequestRecord["outcome"]): RequestRecord => ({ phase, route: "generate", startMs, endMs, outcome });

test("percentile is nearest-rank", () => {
  assert.equal(percentile([], 99), null);
  assert.equal(percentile([5, 1, 3, 2, 4], 50), 3);
  assert.equal(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99), 99);
});

test("tally and lost requests: 5xx, stream errors and resets are lost; aborts, 429 and post-SIGTERM refusals are not", () => {
  const rs = [
    rec("valid", 0, 1, { kind: "status", status: 200 }),
    rec("valid", 0, 1, { kind: "status", status: 429, retryAfterS: 2 }),
    rec("valid", 0, 1, { kind: "status", status: 500 }),
    rec("valid", 0, 1, { kind: "status", status: 200, streamError: "inference_failed" }),
    rec("valid", 0, 1, { kind: "aborted" }),
    rec("valid", 0, 1, { kind: "error", code: "ECONNRESET" }),
    rec("shutdown", 0, 1, { kind: "status", status: 503 }),
    rec("shutdown", 0, 1, { kind: "error", code: "ECONNREFUSED" }),
    rec("shutdown", 0, 1, { kind: "error", code: "ECONNRESET" }),
    rec("valid", 0, 1, { kind: "status", status: 503 }),
  ];
  assert.deepEqual(tally(rs), { "200": 2, "429": 1, "500": 1, aborted: 1, "error:ECONNRESET": 2, "503": 2, "error:ECONNREFUSED": 1 });
  assert.deepEqual(lostRequests(rs).map((r) => rs.indexOf(r)), [2, 3, 5, 8, 9]);
});

test("Retry-After is compared with when the work sent before the refusal was really answered", () => {
  const rs = [
    rec("overload", 0, 4000, { kind: "status", status: 200 }),
    rec("overload", 100, 9000, { kind: "status", status: 200 }),
    rec("overload", 5000, 6000, { kind: "status", status: 429, retryAfterS: 5 }), // needed 3 s: within
    rec("overload", 200, 1000, { kind: "status", status: 429, retryAfterS: 60 }), // needed 8 s: far too long
    rec("overload", 9500, 20_000, { kind: "status", status: 200 }), // sent after both refusals
  ];
  const c = checkRetryAfter(rs);
  assert.equal(c.refusals, 2);
  assert.equal(c.within2x, 1);
  assert.equal(c.medianNeededS, 3);
});
