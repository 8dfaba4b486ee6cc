import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkFloors, corpusVocabulary, defaultFloors, distinctShare, documentDependence, FloorInputError, inventedWordRate, parseFloors, readEvaluation, type EvalEvidence } from "./floors.ts";

const repoRoot = new URL("../../", import.meta.url).pathname;

/** A generate evaluation as `npm run eval` writes it, with the given samples. */
function stories(texts: string[], o: { div?: number; mem?: number; ppl?: number; refPpl?: number } = {}): EvalEvidence {
  return {
    task: "generate",
    samples: texts.map((text) => ({ text })),
    result: {
      artifact: { task: "generate" },
      unconditional: {
        div: { div: o.div ?? 0.8 },
        mem: o.mem === undefined ? { mem: 0.03 } : { mem: o.mem },
        ...(o.ppl !== undefined ? { ppl: { mean: o.ppl }, referenceTexts: { ppl: { mean: o.refPpl ?? 50 } } } : {}),
      },
    },
  };
}

const GOOD = ["the dog ran to the park and played", "she bought a red car last week", "they went home after the long game", "he baked bread for his family"];
const vocabulary = new Set(GOOD.flatMap((t) => t.split(" ")));
const failed = (e: EvalEvidence, floors = defaultFloors()) => checkFloors(e, floors, vocabulary).filter((v) => v.status === "FAIL").map((v) => v.floor);

describe("floors", () => {
  test("good stories pass every floor", () => {
    const v = checkFloors(stories(GOOD, { ppl: 400, refPpl: 50 }), defaultFloors(), vocabulary);
    assert.deepEqual(v.map((x) => [x.floor, x.status]), [["nonEmpty", "ok"], ["decodable", "ok"], ["distinct", "ok"], ["div", "ok"], ["mem", "ok"], ["invented", "ok"], ["pplRatio", "ok"]]);
  });

  test("blank texts fail (the 200-step tiny model's spaces), whatever the other metrics say", () => {
    assert.deepEqual(failed(stories(["   ", " ", "", "  "], { div: 0.9 })), ["nonEmpty", "distinct"]);
    assert.deepEqual(failed(stories(["..", " , ", "", " ! "], { div: 0.9 })), ["nonEmpty", "distinct"], "punctuation alone is blank");
  });

  test("the same text for every seed fails; so do low Div, high Mem, invented words and a PPL far from real text", () => {
    assert.deepEqual(failed(stories(Array(4).fill(GOOD[0]))), ["distinct"]);
    // What a 4-step model wrote: raw byte tokens that form no character.
    assert.deepEqual(failed(stories(GOOD.map((t, i) => (i === 0 ? t : `#\uFFFD\uFFFD ${t.split(" ")[0]} \uFFFDd\uFFFD`)))), ["decodable", "invented"]);
    assert.deepEqual(failed(stories(GOOD, { div: 0.1 })), ["div"]);
    assert.deepEqual(failed(stories(GOOD, { mem: 0.9 })), ["mem"]);
    assert.deepEqual(failed(stories(["zorp blick the dog", "flimb ran quux", "snarf she car", "wib wob home"])), ["invented"]);
    assert.deepEqual(failed(stories(GOOD, { ppl: 5000, refPpl: 50 })), ["pplRatio"]);
  });

  test("floors are configurable and can be turned off; missing evidence is skipped, not failed", () => {
    const blank = stories(["", " ", "", ""]);
    assert.deepEqual(failed(blank, parseFloors(["nonEmpty=off", "distinct=0.2"])), []);
    assert.deepEqual(failed(stories(GOOD, { div: 0.1 }), parseFloors(["div=0.05"])), []);
    const noEvidence = checkFloors(stories(GOOD, { mem: undefined }), defaultFloors());
    assert.equal(noEvidence.find((v) => v.floor === "invented")?.status, "skipped");
    assert.equal(noEvidence.find((v) => v.floor === "pplRatio")?.status, "skipped");
    assert.throws(() => parseFloors(["speed=3"]), FloorInputError);
    assert.throws(() => parseFloors(["div=-1"]), FloorInputError);
    assert.throws(() => parseFloors(["div"]), FloorInputError);
  });

  test("summaries: ROUGE-L and dependence on the document", () => {
    const refs = ["council approves bridge plan", "storm closes schools in wales", "striker signs for city", "bank raises interest rates"];
    const summaries = (texts: string[], rougeL: number): EvalEvidence => ({ task: "summarize", samples: texts.map((text, i) => ({ text, reference: refs[i] })), result: { artifact: { task: "summarize" }, summarization: { rouge: { stemmed: { rougeL: { fmeasure: rougeL } } } } } });
    const good = summaries(["council backs bridge", "storm shuts schools", "city signs striker", "bank lifts rates"], 0.3);
    assert.deepEqual(checkFloors(good, defaultFloors()).map((v) => [v.floor, v.status]), [["nonEmpty", "ok"], ["decodable", "ok"], ["distinct", "ok"], ["rougeL", "ok"], ["docDependence", "ok"]]);
    // The same summary for every document: not distinct, and independent of the document.
    const same = summaries(Array(4).fill("the council said on tuesday"), 0.1);
    assert.deepEqual(checkFloors(same, defaultFloors()).filter((v) => v.status === "FAIL").map((v) => v.floor), ["distinct", "docDependence"]);
    assert.deepEqual(checkFloors(summaries(["a", "b", "c", "d"], 0.01), defaultFloors()).filter((v) => v.status === "FAIL").map((v) => v.floor), ["rougeL", "docDependence"]);
  });

  test("measures", () => {
    assert.equal(distinctShare(["A b", "a  B", "c"]), 2 / 3);
    assert.equal(inventedWordRate(["the dog zorp"], new Set(["the", "dog"])), 1 / 3);
    assert.equal(inventedWordRate([""], new Set()), 0);
    const pairs = [{ text: "a b", reference: "a b" }, { text: "c d", reference: "c d" }];
    assert.equal(documentDependence(pairs), 1);
    assert.equal(documentDependence([{ text: "a b", reference: "a b" }, { text: "a b", reference: "a b" }]), 0);
  });

  test("the corpus vocabulary comes from the training split (committed fixture)", async () => {
    const v = await corpusVocabulary(join(repoRoot, "core/bench/fixtures/wikipedia-sample.jsonl.gz"), { limit: 50 });
    assert.ok(v.size > 100, `${v.size} words`);
    assert.ok(v.has("the"));
    assert.ok(!v.has("zorpblick"));
  });

  test("readEvaluation: result.json + samples.jsonl; missing samples is an input error", () => {
    const dir = mkdtempSync(join(tmpdir(), "floors-"));
    writeFileSync(join(dir, "result.json"), JSON.stringify({ artifact: { task: "generate" }, unconditional: { div: { div: 0.5 } } }));
    assert.throws(() => readEvaluation(dir), /samples\.jsonl.*the floors need the evaluation's samples/);
    writeFileSync(join(dir, "samples.jsonl"), `${JSON.stringify({ i: 0, text: "hello there" })}\n${JSON.stringify({ i: 1, text: " " })}\n`);
    const e = readEvaluation(join(dir, "result.json"));
    assert.equal(e.task, "generate");
    assert.deepEqual(e.samples, [{ text: "hello there" }, { text: " " }]);
    writeFileSync(join(dir, "samples.jsonl"), "{\"i\":0}\n");
    assert.throws(() => readEvaluation(dir), FloorInputError);
  });
});
