import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { meteor, meteorDetail, meanMeteor } from "./meteor.ts";

const t = (s: string) => s.split(" ");
const close = (a: number, b: number, eps = 1e-6) => assert.ok(Math.abs(a - b) < eps, `${a} ≉ ${b}`);

// Formula (NLTK, α = 0.9, β = 3, γ = 0.5): P = m/|hyp|, R = m/|ref|, Fmean = PR/(αP + (1−α)R),
// penalty = γ (chunks/m)^β, score = (1 − penalty) Fmean.
describe("METEOR (NLTK variant, exact + stem stages, no WordNet)", () => {
  test("identical 6-word sentences → 1 − 0.5/6³ = 0.99768519", () => {
    // m = 6, P = R = Fmean = 1, one chunk: penalty = 0.5 · (1/6)^3 = 0.00231481
    const d = meteorDetail(t("the cat sat on the mat"), t("the cat sat on the mat"));
    assert.equal(d.chunks, 1);
    close(d.score, 0.99768519);
  });

  test("swapped words: two chunks of one → penalty 0.5", () => {
    // hyp 'b a', ref 'a b': m = 2, Fmean = 1, chunks = 2, frag = 1 → 0.5 · 1 = 0.5
    close(meteorDetail(t("a b"), t("b a")).score, 0.5);
  });

  test("stem stage matches what the exact stage left", () => {
    // ref 'the cat runs', hyp 'the cats are running'
    // exact: the↔the; stems of the rest: hyp cat, are, run / ref cat, run → cats↔cat, running↔runs
    // m = 3, P = 3/4, R = 1, Fmean = 0.75/(0.675 + 0.1) = 0.96774194
    // alignment (0,0),(1,1),(3,2): chunks = 2 → penalty = 0.5 (2/3)^3 = 0.14814815
    // score = 0.85185185 · 0.96774194 = 0.82437276
    const d = meteorDetail(t("the cat runs"), t("the cats are running"));
    assert.deepEqual(d.alignment, [[0, 0], [1, 1], [3, 2]]);
    close(d.fmean, 0.96774194);
    close(d.score, 0.82437276);
    // Without stemming only 'the' matches: P = 1/4, R = 1/3, Fmean = (1/12)/(0.225 + 1/30) = 0.32258065,
    // one chunk of one: penalty 0.5 → 0.16129032
    close(meteorDetail(t("the cat runs"), t("the cats are running"), { stemmer: (w) => w }).score, 0.16129032);
  });

  test("NLTK's greedy order: the last hypothesis word takes the last matching reference word", () => {
    // hyp 'a a', ref 'a': hyp[1] ↔ ref[0]; m = 1, P = 1/2, R = 1 → Fmean = 0.5/0.55 = 0.90909091,
    // penalty 0.5 → 0.45454545
    const d = meteorDetail(t("a"), t("a a"));
    assert.deepEqual(d.alignment, [[1, 0]]);
    close(d.score, 0.45454545);
  });

  test("lower-cases; no match or empty hypothesis → 0; best over references; mean", () => {
    close(meteorDetail(t("The Cat"), t("the cat")).score, 1 - 0.5 / 8);
    assert.equal(meteorDetail(t("this is a cat"), t("non matching hypothesis")).score, 0);
    assert.equal(meteorDetail(t("a b"), []).score, 0);
    close(meteor([t("x y"), t("a b")], t("b a")), 0.5);
    close(meanMeteor([{ reference: t("a b"), hypothesis: t("b a") }, { reference: t("a"), hypothesis: t("z") }]), 0.25);
    assert.throws(() => meteor([], t("a")), /at least one reference/);
  });
});
