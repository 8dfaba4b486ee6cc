import { test } from "node:test";
import assert from "node:assert/strict";
import { LiveView, displayLine, progressBar } from "./live-view.ts";

test("display lines: control characters visible, newlines folded, cut to width", () => {
  assert.equal(displayLine("a\fb\nc\u0007", 80), "a·b⏎c·");
  assert.equal(displayLine("abcdefghij", 5), "abcd…");
  assert.equal(progressBar(5, 10, 10), "[#####-----]");
});

test("redraws in place: the second update moves up over the first block", () => {
  let out = "";
  const v = new LiveView((s) => (out += s), 40);
  v.update(5, 20, ["one", "two"]);
  assert.ok(!out.includes("\x1b[3F"));
  out = "";
  v.update(10, 20, ["one!", "two!"]);
  assert.ok(out.startsWith("\x1b[3F"), "cursor back to the block's first line");
  assert.equal(out.split("\x1b[2K").length - 1, 3);
  assert.match(out, /step 10\/20/);
  out = "";
  v.clear();
  assert.ok(out.startsWith("\x1b[3F") && out.endsWith("\x1b[3F"));
});
