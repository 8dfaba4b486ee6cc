import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { rouge, rougeN, rougeL, lcsLength, meanRouge, fmeasure, corpusRouge } from "./rouge.ts";
import { rougeTokenize } from "./tokenize.ts";

const close = (a: number, b: number, places = 5) =>
  assert.ok(Math.abs(a - b) < 0.5 * 10 ** -places, `${a} ≉ ${b} (${places} places)`);

// The first two lines of rouge-score's rouge/testdata/{target,prediction}.txt; the expected values
// below are those its rouge_scorer_test.py asserts (taken from runs of the official ROUGE-1.5.5).
const TARGETS = [
  "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L",
  "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN",
];
const PREDICTIONS = [
  "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi",
  "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD",
];

describe("rougeTokenize (rouge-score's tokenizer)", () => {
  test("lower-cases, non-alphanumerics become separators, empty tokens dropped", () => {
    assert.deepEqual(rougeTokenize("  The Cat's mat-3, naïve!  "), ["the", "cat", "s", "mat", "3", "na", "ve"]);
    assert.deepEqual(rougeTokenize("/"), []);
  });
  test("stems only tokens longer than 3 characters", () => {
    // 'runs' (4) → 'run'; 'ran'/'was' (3) kept as they are although NLTK would stem 'was' → 'wa'.
    assert.deepEqual(rougeTokenize("Runs ran was flies", { stem: true }), ["run", "ran", "was", "fli"]);
  });
});

describe("ROUGE with rouge-score semantics", () => {
  test("rouge-score unit cases", () => {
    const r1 = rouge("testing one two", "testing").rouge1;
    close(r1.precision, 1);
    close(r1.recall, 1 / 3);
    close(r1.fmeasure, 1 / 2);
    const r2 = rouge("testing one two", "testing one").rouge2;
    close(r2.precision, 1);
    close(r2.recall, 1 / 2);
    close(r2.fmeasure, 2 / 3);
    const lc = rouge("testing one two", "testing one").rougeL;
    close(lc.recall, 2 / 3);
    close(lc.fmeasure, 4 / 5);
    const ln = rouge("testing one two", "testing two").rougeL; // non-consecutive LCS
    close(ln.precision, 1);
    close(ln.recall, 2 / 3);
    close(ln.fmeasure, 4 / 5);
    const empty = rouge("testing one two", "");
    for (const s of [empty.rouge1, empty.rouge2, empty.rougeL]) assert.deepEqual(s, { precision: 0, recall: 0, fmeasure: 0 });
  });

  test("against ROUGE-1.5.5 values from rouge-score's tests, without stemming", () => {
    const a = rouge(TARGETS[0], PREDICTIONS[0]);
    close(a.rouge1.recall, 0.40741); close(a.rouge1.precision, 0.6875); close(a.rouge1.fmeasure, 0.51163);
    close(a.rouge2.recall, 0.30769); close(a.rouge2.precision, 0.53333); close(a.rouge2.fmeasure, 0.39024);
    close(a.rougeL.recall, 0.40741); close(a.rougeL.precision, 0.6875); close(a.rougeL.fmeasure, 0.51163);
    const b = rouge(TARGETS[1], PREDICTIONS[1]);
    close(b.rouge1.recall, 0.40476); close(b.rouge1.precision, 0.65385); close(b.rouge1.fmeasure, 0.5);
    close(b.rouge2.recall, 0.29268); close(b.rouge2.precision, 0.48); close(b.rouge2.fmeasure, 0.36364);
    close(b.rougeL.recall, 0.40476); close(b.rougeL.precision, 0.65385); close(b.rougeL.fmeasure, 0.5);
  });

  test("against ROUGE-1.5.5 values from rouge-score's tests, with stemming", () => {
    const a = rouge(TARGETS[0], PREDICTIONS[0], { stem: true });
    close(a.rouge1.recall, 0.40741); close(a.rouge1.precision, 0.6875); close(a.rouge1.fmeasure, 0.51163);
    close(a.rouge2.fmeasure, 0.39024);
    const b = rouge(TARGETS[1], PREDICTIONS[1], { stem: true });
    // Stemming makes 'psing'/'pstion' etc. collide, lifting ROUGE-1 from 0.5 to 0.52941.
    close(b.rouge1.recall, 0.42857); close(b.rouge1.precision, 0.69231); close(b.rouge1.fmeasure, 0.52941);
    close(b.rouge2.recall, 0.29268); close(b.rouge2.precision, 0.48); close(b.rouge2.fmeasure, 0.36364);
  });

  test("hand-computed: clipped counts, stemming on and off", () => {
    // target: the cat sat on the mat (6 tokens); prediction: the the cats sat (4 tokens)
    // unigrams: 'the' min(2,2)=2, 'sat' 1 → overlap 3; P = 3/4, R = 3/6, F = 2·.75·.5/1.25 = 0.6
    const t = "the cat sat on the mat";
    const p = "the the cats sat";
    const plain = rouge(t, p);
    close(plain.rouge1.precision, 0.75); close(plain.rouge1.recall, 0.5); close(plain.rouge1.fmeasure, 0.6);
    // bigrams: target {the cat, cat sat, sat on, on the, the mat}, prediction {the the, the cats,
    // cats sat}: no overlap → 0.
    assert.equal(plain.rouge2.fmeasure, 0);
    // With stemming 'cats' → 'cat': unigram overlap 4 → P = 1, R = 4/6, F = 0.8; bigrams 'the cat' and
    // 'cat sat' now match: P = 2/3, R = 2/5, F = 2·(2/3)(2/5)/(16/15) = 0.5.
    const stemmed = rouge(t, p, { stem: true });
    close(stemmed.rouge1.fmeasure, 0.8);
    close(stemmed.rouge2.precision, 2 / 3); close(stemmed.rouge2.recall, 0.4); close(stemmed.rouge2.fmeasure, 0.5);
    // LCS('the cat sat on the mat', 'the cat sat' after stemming… prediction 'the the cat sat') = 3
    // ('the cat sat'): P = 3/4, R = 3/6.
    close(stemmed.rougeL.precision, 0.75); close(stemmed.rougeL.recall, 0.5);
  });

  test("helpers", () => {
    assert.equal(lcsLength(["1", "2", "3", "4", "5"], ["2", "5", "3", "4"]), 3);
    assert.equal(lcsLength(["a"], []), 0);
    assert.throws(() => rougeN(["a"], ["a"], 0), /positive integer/);
    assert.equal(fmeasure(0, 0), 0);
    assert.deepEqual(rougeL([], ["a"]), { precision: 0, recall: 0, fmeasure: 0 });
    const m = meanRouge([rouge("a b", "a b"), rouge("a b", "c d")]);
    close(m.rouge1.fmeasure, 0.5);
    assert.throws(() => meanRouge([]), /at least one/);
    // corpus mean: F1 1 and 0.5 ('testing one two' vs 'testing') → 0.75
    const c = corpusRouge([{ target: "a b", prediction: "a b" }, { target: "testing one two", prediction: "testing" }]);
    close(c.rouge1.fmeasure, 0.75);
  });
});
