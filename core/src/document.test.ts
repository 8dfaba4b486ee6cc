import { test } from "node:test";
import assert from "node:assert/strict";
import { CHARS_PER_TOKEN_BOUND, documentHead } from "./document.ts";

// A stand-in tokenizer: one token per character (char code), so cuts are easy to see.
const chars = { encode: (text: string) => Array.from(text, (c) => c.charCodeAt(0)) };

test("documentHead keeps the first S tokens and says whether anything was left out", () => {
  assert.deepEqual(documentHead(chars, "abc", 5), { tokens: Int32Array.from([97, 98, 99]), truncated: false });
  assert.deepEqual(documentHead(chars, "abcdef", 3), { tokens: Int32Array.from([97, 98, 99]), truncated: true });
  assert.deepEqual(documentHead(chars, "", 3), { tokens: new Int32Array(0), truncated: false });
});

test("text past CHARS_PER_TOKEN_BOUND·S characters is not tokenized", () => {
  let seen = 0;
  const counting = { encode: (text: string) => ((seen = text.length), [1]) };
  const r = documentHead(counting, "x".repeat(CHARS_PER_TOKEN_BOUND * 2 + 10), 2);
  assert.equal(seen, CHARS_PER_TOKEN_BOUND * 2);
  assert.equal(r.truncated, true, "cut text counts as truncated even when the tokens fit");
});
