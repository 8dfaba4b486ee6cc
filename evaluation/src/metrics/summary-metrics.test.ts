import { test } from "node:test";
import assert from "node:assert/strict";
import { summaryMetrics } from "./summary-metrics.ts";

test("summary metrics of one perfect and one partial pair, by hand", () => {
  const r = summaryMetrics([
    { reference: "the cat sat on the mat", prediction: "the cat sat on the mat" },
    { reference: "dogs were running", prediction: "a dog runs" },
  ]);
  assert.equal(r.count, 2);
  // pair 2 unstemmed: no common token → ROUGE-1 F 0; mean (1 + 0)/2 = 0.5
  assert.equal(r.rouge.plain.rouge1.fmeasure, 0.5);
  // stemmed: dogs→dog, running→run, runs→run; 'were' (4 chars) → 'were'; 'a' kept
  // pair 2: target [dog, were, run], prediction [a, dog, run] → overlap 2, P = R = 2/3 → F 2/3
  // mean ROUGE-1 F = (1 + 2/3)/2 = 0.8333…
  assert.ok(Math.abs(r.rouge.stemmed.rouge1.fmeasure - 5 / 6) < 1e-12);
  // METEOR: pair 1 = 1 − 0.5/6³ = 0.99768519; pair 2 stem matches dog↔dogs, run↔running:
  // m = 2, P = R = 2/3 → Fmean 2/3; alignment (1,0),(2,2) → 2 chunks → penalty 0.5 → 1/3
  // mean = (0.99768519 + 0.33333333)/2 = 0.66550926
  assert.ok(Math.abs(r.meteor - 0.66550926) < 1e-7);
  // BLEU: pair 1 matches 6/6, 5/5, 4/4, 3/3; pair 2 matches nothing of 3, 2, 1 and max(1, 0) = 1
  // n-grams → p = 6/9, 5/7, 4/5, 3/4; c = r = 9 → BLEU = (6/9 · 5/7 · 4/5 · 3/4)^(1/4) = 0.73111
  assert.deepEqual(r.bleu.matches, [6, 5, 4, 3]);
  assert.deepEqual(r.bleu.totals, [9, 7, 5, 4]);
  assert.ok(Math.abs(r.bleu.bleu - (2 / 7) ** 0.25) < 1e-12);
  assert.match(r.notes.join(" "), /no WordNet/);
  assert.throws(() => summaryMetrics([]), /at least one pair/);
});
