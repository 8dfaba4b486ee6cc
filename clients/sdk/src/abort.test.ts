import { test } from "node:test";
import assert from "node:assert/strict";
import { anySignal } from "./abort.ts";

for (const [name, native] of [
  ["native AbortSignal.any", undefined],
  ["fallback (Node 18 has no AbortSignal.any)", null],
] as const) {
  test(`anySignal, ${name}: aborts with the first signal's reason`, () => {
    const a = new AbortController();
    const b = new AbortController();
    const s = native === null ? anySignal([a.signal, b.signal], null) : anySignal([a.signal, b.signal]);
    assert.equal(s.aborted, false);
    b.abort(new Error("b first"));
    a.abort(new Error("a later"));
    assert.equal(s.aborted, true);
    assert.equal((s.reason as Error).message, "b first");
  });

  test(`anySignal, ${name}: an already aborted input gives an aborted signal`, () => {
    const a = new AbortController();
    a.abort("gone");
    const s = native === null ? anySignal([new AbortController().signal, a.signal], null) : anySignal([new AbortController().signal, a.signal]);
    assert.equal(s.aborted, true);
    assert.equal(s.reason, "gone");
  });
}

test("anySignal fallback: once one fires, the others' listeners are removed", () => {
  const a = new AbortController();
  const b = new AbortController();
  let removed = 0;
  const orig = b.signal.removeEventListener.bind(b.signal);
  b.signal.removeEventListener = (...args: Parameters<AbortSignal["removeEventListener"]>) => {
    removed++;
    orig(...args);
  };
  anySignal([a.signal, b.signal], null);
  a.abort();
  assert.equal(removed, 1);
});
