import { test } from "node:test";
import assert from "node:assert/strict";
import { parseRetryAfter } from "./errors.ts";
import { retryDelayMs, sleep } from "./retry.ts";

const o = { retryBaseMs: 100, maxRetryDelayMs: 1000 };

test("Retry-After wins over backoff, and one above the maximum ends the retries", () => {
  assert.equal(retryDelayMs(0, 2000, { ...o, maxRetryDelayMs: 5000 }), 2000);
  assert.equal(retryDelayMs(3, 0, o), 0);
  assert.equal(retryDelayMs(0, 1001, o), undefined);
});

test("backoff doubles per attempt within [cap/2, cap] and stops growing at the maximum", () => {
  assert.equal(retryDelayMs(0, undefined, o, () => 0), 50);
  assert.equal(retryDelayMs(0, undefined, o, () => 1), 100);
  assert.equal(retryDelayMs(2, undefined, o, () => 1), 400);
  assert.equal(retryDelayMs(10, undefined, o, () => 1), 1000);
  assert.equal(retryDelayMs(10, undefined, o, () => 0), 500);
});

test("Retry-After parses delta-seconds and HTTP dates, ignores junk", () => {
  assert.equal(parseRetryAfter("3"), 3000);
  assert.equal(parseRetryAfter(" 0.5 "), 500);
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:07 GMT", now), 7000);
  assert.equal(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now), 0);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter("soon"), undefined);
});

test("sleep rejects with the signal's reason when aborted", async () => {
  const ac = new AbortController();
  const p = sleep(10_000, ac.signal);
  ac.abort(new Error("stop"));
  await assert.rejects(p, /stop/);
  await assert.rejects(sleep(1, AbortSignal.abort(new Error("already"))), /already/);
});
