import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CompactTokenizer, FIRST_BPE_ID, type Vocabulary } from "@ldtext/core";
import { writeRandomArtifact, tinyConfig } from "@ldtext/export";
import { trainRefLm, RefLm } from "../reflm/index.ts";
import { documentDependence, memIndexFor, shuffledIndex, summarizationMetrics, unconditionalMetrics } from "../features/index.ts";
import { rougeTokenize } from "../metrics/index.ts";
import { evaluate, leadSentence, truncateTexts, type EvalResult } from "./evaluate.ts";
import { parseEvalArgs } from "./cli.ts";

const NAMES = ["Anna", "Ben", "Cleo", "Dan", "Eve"];
const PLACES = ["the park", "the market", "school", "the lake"];
const texts = (n: number, off = 0) => Array.from({ length: n }, (_, i) => `${NAMES[(i + off) % 5]} walked to ${PLACES[((i + off) >> 1) % 4]} and sat down.`);
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

describe("npm run eval", () => {
  let root = "";
  let vocabulary: Vocabulary;
  let gen = "";
  let sum = "";
  let lm = "";
  const corpus = () => join(root, "corpus");
  const pairs = () => join(root, "pairs");
  before(async () => {
    root = mkdtempSync(join(tmpdir(), "ldtext-eval-"));
    mkdirSync(corpus());
    mkdirSync(pairs());
    writeFileSync(join(corpus(), "train.jsonl"), jsonl(texts(40).map((text) => ({ text }))));
    writeFileSync(join(corpus(), "validation.jsonl"), jsonl(texts(8, 3).map((text) => ({ text }))));
    writeFileSync(join(corpus(), "test.jsonl"), jsonl(texts(12, 7).map((text) => ({ text }))));
    writeFileSync(join(pairs(), "test.jsonl"), jsonl(texts(6).map((t, i) => ({ document: `${t} It was a sunny day. ${texts(1, i + 2)[0]}`, summary: t, id: String(i) }))));
    const tok = CompactTokenizer.build(texts(40), { topK: 41 });
    vocabulary = tok.toJSON();
    const v = tok.vocabSize;
    gen = join(root, "gen");
    sum = join(root, "sum");
    await writeRandomArtifact({ config: tinyConfig("generate", { vocabSize: v }), vocabulary, outDir: gen, seed: 1 });
    await writeRandomArtifact({ config: tinyConfig("summarize", { vocabSize: v }), vocabulary, outDir: sum, seed: 2 });
    lm = join(root, "lm");
    await trainRefLm({ data: corpus(), vocabFrom: gen, out: lm, steps: 12, batch: 8, maxLen: 24, dModel: 32, heads: 2, layers: 1, ffn: 64, backend: "wasm", progress: false });
  });

  test("unconditional: samples through ONNX, PPL/entropy/MAUVE/Div/Mem, JSON + markdown + samples written", async () => {
    const out = join(root, "eval-gen");
    const r = await evaluate({ artifact: gen, data: corpus(), samples: 8, steps: 3, sampler: "sde", seed: 5, reflm: lm, out, cacheDir: join(root, "cache"), progress: false });
    const onDisk = JSON.parse(readFileSync(join(out, "result.json"), "utf8")) as EvalResult;
    assert.deepEqual(onDisk.config, { artifact: gen, data: corpus(), samples: 8, steps: 3, sampler: "sde", seed: 5, guidance: 0, clamp: 0, split: "test", batchSize: 32, references: 8, reflm: lm, denoiser: "fp32", decoder: "auto" });
    assert.equal(onDisk.sampling.decoder, "nar", "an artifact without ArDec decodes with Dec");
    assert.equal(onDisk.artifact.id, "random-generate");
    assert.match(onDisk.reflm!.id, /^reflm-/);
    const u = r.unconditional!;
    assert.ok(u.ppl === null || u.ppl.mean > 1);
    assert.ok(u.mauve!.mauve > 0 && u.mauve!.mauve <= 1);
    assert.ok(u.div.div >= 0 && u.div.div <= 1);
    assert.ok(u.mem !== null && u.mem.mem >= 0 && u.mem.mem <= 1);
    const samples = readFileSync(join(out, "samples.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { text: string });
    assert.equal(samples.length, 8);
    assert.match(readFileSync(join(out, "result.md"), "utf8"), /\| PPL \(mean\) \| PPL ratio to test texts \| PPL \(5–95 % trimmed\) \| unknown words \| token entropy \| MAUVE \| Div \| Mem \|/);
    // the ratio is the samples' PPL over the reference texts' under the same LM; the test split's own
    // words are the training corpus's here, so its unknown-word rate is 0
    assert.ok(u.ppl && u.referenceTexts!.ppl && Math.abs(u.pplRatio! - u.ppl.mean / u.referenceTexts!.ppl.mean) < 1e-9);
    assert.deepEqual(r.snrProbe?.probes.map((p) => p.snr), [2, 0.5, 0.12, 0.05], "an artifact with an encoder graph gets the fixed-SNR probe");
    assert.match(readFileSync(join(out, "result.md"), "utf8"), /Fixed-SNR probe \(8 test texts/);
    assert.ok(u.unknownWords !== null && u.unknownWords.total > 0 && u.unknownWords.rate >= 0 && u.unknownWords.rate <= 1);
    assert.ok(r.notes.some((n) => /not comparable/.test(n)));
    // MAUVE references are cut to the model's L − 1 = 15 tokens, and scored alongside
    assert.equal(u.referenceTexts!.count, 8);
    assert.ok(r.notes.some((n) => /cut to the model's 15 tokens/.test(n)));
    // the same seed gives the same samples
    const again = await evaluate({ artifact: gen, data: corpus(), samples: 8, steps: 3, sampler: "sde", seed: 5, out: join(root, "eval-gen2"), noMem: true, progress: false });
    assert.deepEqual(readFileSync(join(root, "eval-gen2", "samples.jsonl"), "utf8"), readFileSync(join(out, "samples.jsonl"), "utf8"));
    assert.equal(again.unconditional!.ppl, null, "no --reflm: PPL skipped, and said so");
    assert.ok(again.notes.some((n) => /no reference LM/.test(n)));
  });

  test("summarization: ROUGE (plain/stemmed), BLEU, METEOR, BERTScore vs the split's summaries", async () => {
    const out = join(root, "eval-sum");
    const r = await evaluate({ artifact: sum, data: pairs(), samples: 4, steps: 2, seed: 1, guidance: 1.5, reflm: lm, out, progress: false });
    const s = r.summarization!;
    assert.equal(s.count, 4);
    for (const k of ["rouge1", "rouge2", "rougeL"] as const) assert.ok(s.rouge.stemmed[k].fmeasure >= 0 && s.rouge.stemmed[k].fmeasure <= 1);
    assert.ok(s.bertScore !== null && s.bertScore.f1 <= 1 + 1e-9);
    assert.match(readFileSync(join(out, "result.md"), "utf8"), /R-1 \(stem\)/);
    const lines = readFileSync(join(out, "samples.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { reference: string });
    assert.equal(lines[0].reference, texts(1)[0]);
    assert.ok(r.notes.some((n) => /WordNet/.test(n)));
    // Lead-1: each fixture document starts with its own summary, so the baseline scores exactly 1.
    assert.equal(r.lead1!.rouge.plain.rougeL.fmeasure, 1);
    assert.equal(r.lead1!.count, 4);
    assert.match(readFileSync(join(out, "result.md"), "utf8"), /lead-1 \(first sentence, no model\) \| 1\.000/);
    // Dependence: lead-1 copies its own document's summary, so it reads the document; the random
    // model's summaries do not depend on theirs. Shared-seed summaries were sampled for all 4 documents.
    const dep = r.dependence!;
    assert.equal(dep.lead1.rougeL.own, 1);
    assert.ok(dep.lead1.rougeL.dependence > 0.05 && dep.lead1.verdict === "reads the document", `lead-1 dependence ${dep.lead1.rougeL.dependence}`);
    assert.equal(dep.model.sharedSeedDocuments, 4);
    assert.ok(dep.model.sharedSeedSimilarity !== null && dep.model.sharedSeedSimilarity >= 0 && dep.model.sharedSeedSimilarity <= 1);
    assert.match(readFileSync(join(out, "result.md"), "utf8"), /Document dependence/);
    // Copying: the fixture references are their documents' first sentences, so they and lead-1 copy
    // everything (no novel words, lead R-L 1), and the table says so.
    const ex = r.extractiveness!;
    assert.equal(ex.lead1.novelBigrams, 0);
    assert.equal(ex.reference.leadRougeL, 1);
    assert.equal(ex.model.summaries, 4);
    assert.ok(ex.model.novelUnigrams >= 0 && ex.model.novelUnigrams <= 1);
    assert.match(readFileSync(join(out, "result.md"), "utf8"), /\| lead-1 \| 0\.0 % \| 0\.0 % \| 1\.000 \|/);
  });

  test("documentDependence on known cases: copies of the own reference vs one fixed text for every document", () => {
    const refs = ["the cat sat on the mat", "stocks fell sharply in tokyo", "the council approved a new school", "rain is expected across the north"];
    const copy = documentDependence(refs, refs, refs);
    assert.equal(copy.rougeL.own, 1);
    assert.ok(copy.rougeL.dependence > 0.7 && copy.verdict === "reads the document");
    assert.ok(copy.sharedSeedSimilarity! < 0.3, "different documents, different summaries");
    const same = Array(4).fill("the weather was fine and the people were happy");
    const ignore = documentDependence(same, refs, same);
    assert.ok(Math.abs(ignore.rougeL.dependence) < 1e-12 && ignore.verdict === "ignores the document");
    assert.equal(ignore.sharedSeedSimilarity, 1);
    for (let n = 2; n < 9; n++) for (let i = 0; i < n; i++) assert.notEqual(shuffledIndex(i, n), i, "the permutation must not pair a summary with its own reference");
  });

  test("leadSentence: the first non-empty line, cut at its first sentence end", () => {
    assert.equal(leadSentence("\nFirst line here.\nSecond line."), "First line here.");
    assert.equal(leadSentence("Anna walked to school. It was a sunny day. Ben sat."), "Anna walked to school.");
    assert.equal(leadSentence('He said "Stop!" Then he left.'), 'He said "Stop!"');
    assert.equal(leadSentence("No end mark at all"), "No end mark at all");
    assert.equal(leadSentence("It cost 3.5 million. Then"), "It cost 3.5 million.");
  });

  test("truncateTexts cuts to whole tokens of the vocabulary", () => {
    const tok = CompactTokenizer.fromJSON(vocabulary);
    const [cut] = truncateTexts([texts(1)[0]], vocabulary, 3);
    assert.equal(tok.encode(cut).length, 3);
    assert.ok(texts(1)[0].startsWith(cut));
    tok.free();
  });

  test("the metric glue on known cases: Mem of training texts is 1, identical summaries score 1", async () => {
    const { index, built } = await memIndexFor(corpus(), { cacheDir: join(root, "cache2") });
    assert.equal(built, true);
    assert.equal((await memIndexFor(corpus(), { cacheDir: join(root, "cache2") })).built, false, "the second call reads the cache");
    const train = texts(40);
    const u = unconditionalMetrics(train.slice(0, 10), { memIndex: index });
    assert.equal(u.mem!.mem, 1);
    const novel = unconditionalMetrics(["zebra quartz violin umbrella tractor"], { memIndex: index });
    assert.equal(novel.mem!.mem, 0);
    // Unknown words: none in training texts; every made-up word counted, with examples.
    const words = (await memIndexFor(corpus(), { n: 1, cacheDir: join(root, "cache2") })).index;
    assert.equal(unconditionalMetrics(train.slice(0, 10), { wordIndex: words }).unknownWords!.rate, 0);
    const known = rougeTokenize(train[0])[0];
    const made = unconditionalMetrics([`${known} sxu douer ${known} amegs`], { wordIndex: words }).unknownWords!;
    assert.deepEqual([made.unknown, made.total, made.examples], [3, 5, ["sxu", "douer", "amegs"]]);
    const reflm = await RefLm.load(lm);
    const s = summarizationMetrics(train.slice(0, 3), train.slice(0, 3), reflm);
    assert.equal(s.rouge.plain.rougeL.fmeasure, 1);
    assert.ok(Math.abs(s.bertScore!.f1 - 1) < 1e-5);
    reflm.dispose();
  });

  test("an artifact with ArDec: decoded greedily by default, --decoder nar A/B's it with Dec, both recorded", async () => {
    const v = FIRST_BPE_ID + vocabulary.bpeIds.length;
    const ard = join(root, "ard");
    await writeRandomArtifact({ config: tinyConfig("generate", { vocabSize: v, arDec: { dModel: 32, heads: 2, layers: 1, ffn: 64 } }), vocabulary, outDir: ard, seed: 3 });
    const base = { artifact: ard, data: corpus(), samples: 4, steps: 2, seed: 1, noMem: true, progress: false };
    const ar = await evaluate({ ...base, out: join(root, "eval-ard") });
    const nar = await evaluate({ ...base, decoder: "nar", out: join(root, "eval-ard-nar") });
    const onDisk = JSON.parse(readFileSync(join(root, "eval-ard", "result.json"), "utf8")) as EvalResult;
    assert.equal(onDisk.config.decoder, "auto");
    assert.equal(onDisk.sampling.decoder, "ar");
    assert.match(readFileSync(join(root, "eval-ard", "result.md"), "utf8"), /ArDec \(greedy\)/);
    assert.equal(nar.config.decoder, "nar");
    assert.equal(nar.sampling.decoder, "nar");
    assert.equal(ar.sampling.samples, 4);
    await assert.rejects(evaluate({ ...base, artifact: gen, decoder: "ar", out: join(root, "eval-no-ard") }), /decoder "ar" needs an artifact with the ArDec graph/);
  });

  test("CLI arguments: required options and clear errors", () => {
    const o = parseEvalArgs(["--artifact", "models/x/", "--data", "rocstories", "--samples", "10", "--steps", "20", "--sampler", "sde"]);
    assert.equal(o.out, "runs/eval/x-sde-s20-seed0");
    assert.equal(o.decoder, "auto");
    const ab = parseEvalArgs(["--artifact", "models/x", "--data", "rocstories", "--samples", "10", "--steps", "20", "--decoder", "nar"]);
    assert.equal(ab.decoder, "nar");
    assert.equal(ab.out, "runs/eval/x-ddim-s20-seed0-nar", "an explicit decoder gets its own output folder");
    const clamped = parseEvalArgs(["--artifact", "models/x", "--data", "rocstories", "--samples", "10", "--steps", "20", "--clamp", "0.5"]);
    assert.equal(clamped.clamp, 0.5);
    assert.equal(clamped.out, "runs/eval/x-ddim-s20-seed0-clamp0.5", "an explicit clamp gets its own output folder");
    assert.equal(o.clamp, undefined, "unset: the artifact's served default");
    assert.throws(() => parseEvalArgs(["--artifact", "a", "--data", "b", "--samples", "2", "--steps", "2", "--clamp", "half"]), /--clamp needs a number/);
    assert.throws(() => parseEvalArgs(["--artifact", "a", "--data", "b", "--samples", "2", "--steps", "2", "--decoder", "beam"]), /--decoder must be one of auto, nar, ar/);
    assert.throws(() => parseEvalArgs(["--artifact", "a", "--data", "b", "--samples", "x", "--steps", "2"]), /--samples needs a number/);
    assert.throws(() => parseEvalArgs(["--artifact", "a", "--data", "b", "--samples", "2"]), /--steps is required/);
    assert.throws(() => parseEvalArgs(["--artifact", "a", "--data", "b", "--samples", "2", "--steps", "2", "--sampler", "euler"]), /--sampler must be one of/);
  });
});
