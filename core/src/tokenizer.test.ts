import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { CompactTokenizer, EOS_ID, PAD_ID, FIRST_BPE_ID, BYTE_OFFSET, VocabularySchema, sharedEncoderRefs, layoutTokens } from "./tokenizer.ts";

const corpus = [
  "The cat sat on the mat. The dog sat on the log.",
  "Once upon a time there was a little girl who loved the sea.",
  "She went to the store and bought some bread and milk.",
  "The weather was nice, so they went to the park together.",
  "He was very happy when he found his keys under the table.",
];

// Small deterministic generator for the test strings (independent of core's rng under test elsewhere).
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random valid Unicode (no lone surrogates) mixing the classes tokenizers tend to get wrong. */
function randomString(rand: () => number): string {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const range = (lo: number, hi: number) => String.fromCodePoint(lo + Math.floor(rand() * (hi - lo + 1)));
  const words = ["the", " the", "cat", " sat", "Hello", " world", "<|endoftext|>", "don't", "'s", "123", " 4567"];
  const pieces: (() => string)[] = [
    () => range(0x20, 0x7e), // printable ASCII
    () => pick(words),
    () => pick(["é", "è", "ü", "ñ", "Å", "ø", "ß", "e\u0301", "a\u0308"]) + range(0xc0, 0x17f), // accents, combining marks
    () => range(0x4e00, 0x9fff), // CJK
    () => range(0x3040, 0x30ff), // kana
    () => range(0x1f300, 0x1faff), // emoji (astral plane, surrogate pairs in JS)
    () => pick(["👩‍👩‍👧", "🏳️‍🌈", "👍🏽", "🇫🇷"]), // ZWJ and modifier sequences
    () => range(0x00, 0x1f) + pick(["\u007f", "\u0085", "\u009f", "\u200b", "\ufeff"]), // control characters
    () => pick([" ", "\t", "\n", "\r\n", "\u00a0", "\u3000"]).repeat(1 + Math.floor(rand() * 80)), // whitespace runs
    () => range(0x0400, 0x04ff) + range(0x0600, 0x06ff), // Cyrillic, Arabic
    () => range(0x10000, 0x10ffff), // any astral code point (scalar values only, never surrogates)
  ];
  const n = Math.floor(rand() * 24);
  let s = "";
  for (let i = 0; i < n; i++) s += pick(pieces)();
  return s;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe("CompactTokenizer", () => {
  test("round-trips 10,000 generated strings exactly with a small K; ids stay in range", () => {
    using tok = CompactTokenizer.build(corpus, { topK: 40 });
    assert.equal(tok.bpeTokenCount, 40);
    assert.equal(tok.vocabSize, FIRST_BPE_ID + 40);
    const rand = mulberry32(12345);
    let usedCompact = 0;
    let usedBytes = 0;
    for (let i = 0; i < 10_000; i++) {
      const s = randomString(rand);
      if (LONE_SURROGATE.test(s)) assert.fail(`generator must produce valid Unicode: ${JSON.stringify(s)}`);
      const ids = tok.encode(s);
      for (const id of ids) {
        if (!(id >= BYTE_OFFSET && id < tok.vocabSize)) assert.fail(`id ${id} out of range for ${JSON.stringify(s)}`);
        if (id >= FIRST_BPE_ID) usedCompact++;
        else usedBytes++;
      }
      const back = tok.decode(ids);
      if (back !== s) assert.equal(back, s, `round trip failed for ${JSON.stringify(s)}`);
    }
    assert.ok(usedCompact > 1000 && usedBytes > 1000, "both compact tokens and byte fallback were exercised");
  });

  test("keeps the K most frequent multi-byte BPE tokens, deterministically", () => {
    using a = CompactTokenizer.build(corpus, { topK: 10 });
    using b = CompactTokenizer.build([...corpus], { topK: 10 });
    assert.deepEqual(a.toJSON(), b.toJSON());
    const v = a.toJSON();
    assert.equal(v.bpeIds.length, 10);
    // "the"/" the" is the most frequent token in the corpus.
    const first = Buffer.from(v.tokenBytes[0], "base64").toString("utf8");
    assert.equal(first, " the");
    for (const b64 of v.tokenBytes) assert.ok(Buffer.from(b64, "base64").length >= 2);
    // Compact tokens are used where available: " the" is one id, not four bytes.
    const ids = a.encode(" the the");
    assert.ok(ids.length <= 3, `expected compact ids, got ${ids}`);
    // K larger than the candidates keeps all of them, never more.
    using big = CompactTokenizer.build(["ab ab"], { topK: 1000 });
    assert.ok(big.bpeTokenCount <= 2);
  });

  test("JSON round trip keeps behaviour; decode needs no encoder", () => {
    using tok = CompactTokenizer.build(corpus, { topK: 30 });
    const json = JSON.parse(JSON.stringify(tok.toJSON()));
    const loaded = CompactTokenizer.fromJSON(json);
    assert.equal(loaded.vocabSize, tok.vocabSize);
    const s = "The cat sat on the mat 🐈 déjà vu";
    const ids = tok.encode(s);
    assert.equal(loaded.decode(ids), s);
    assert.deepEqual(loaded.encode(s), ids);
    loaded.free();
    assert.throws(() => CompactTokenizer.fromJSON({ ...json, tokenBytes: json.tokenBytes.slice(1) }), /differ in length/);
    assert.throws(() => CompactTokenizer.fromJSON({ ...json, kind: "other" }));
    assert.ok(VocabularySchema.safeParse(json).success);
  });

  test("encodeToLength follows the token layout; decodeSample cuts at EOS/PAD", () => {
    using tok = CompactTokenizer.build(corpus, { topK: 30 });
    const ids = tok.encode("The cat sat on the mat.");
    const row = tok.encodeToLength("The cat sat on the mat.", ids.length + 3);
    assert.deepEqual([...row.subarray(0, ids.length)], ids);
    assert.deepEqual([...row.subarray(ids.length)], [EOS_ID, PAD_ID, PAD_ID]);
    const short = tok.encodeToLength("The cat sat on the mat.", 3);
    assert.deepEqual([...short], [ids[0], ids[1], EOS_ID]);
    assert.equal(tok.decodeSample(row), "The cat sat on the mat.");
    assert.equal(tok.decodeSample([...ids.slice(0, 2), PAD_ID, ...ids.slice(2)]), tok.decode(ids.slice(0, 2)));
    assert.equal(tok.decodeSample(BigInt64Array.from([...row].map(BigInt))), "The cat sat on the mat.");
    assert.throws(() => tok.decode([tok.vocabSize]), /outside the vocabulary/);
    const out = new Int32Array(8).fill(-7);
    assert.equal(layoutTokens([5, 6, 7], 4, out, 2), false);
    assert.deepEqual([...out], [-7, -7, 5, 6, 7, EOS_ID, -7, -7]);
  });

  test("the shared WASM encoder is freed when the last tokenizer releases it", () => {
    assert.equal(sharedEncoderRefs(), 0);
    const a = CompactTokenizer.build(corpus, { topK: 5 });
    const b = CompactTokenizer.fromJSON(a.toJSON());
    assert.equal(sharedEncoderRefs(), 0, "building and loading do not hold the encoder");
    a.encode("x");
    b.encode("y");
    assert.equal(sharedEncoderRefs(), 2);
    a.free();
    a.free();
    assert.equal(sharedEncoderRefs(), 1);
    {
      using _b = b;
    }
    assert.equal(sharedEncoderRefs(), 0);
    assert.throws(() => a.encode("z"), /after free/);
    assert.equal(a.decode(b.toJSON().bpeIds.length ? [FIRST_BPE_ID] : []), Buffer.from(a.toJSON().tokenBytes[0], "base64").toString("utf8"));
  });
});
