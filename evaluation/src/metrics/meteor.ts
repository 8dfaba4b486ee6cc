// METEOR as NLTK computes it (`nltk.translate.meteor_score`, Lavie & Agarwal 2007 parameters
// α = 0.9, β = 3, γ = 0.5): words are lower-cased, aligned by NLTK's greedy stages — exact match,
// then Porter-stem match on what is left — each stage walking the hypothesis from its last word and
// taking the last still-unmatched reference word that matches; matches are sorted by hypothesis
// position and counted in chunks (runs adjacent in both texts).
//   Fmean = P·R / (α·P + (1−α)·R),  penalty = γ·(chunks/matches)^β,  score = (1 − penalty)·Fmean.
// NLTK's third stage (WordNet synonyms) is NOT run: no offline WordNet is available to this project,
// so scores can be lower than NLTK's wherever a synonym would have matched. Say so when reporting.
import { porterStem } from "./porter.ts";
import type { Stemmer } from "./tokenize.ts";

export interface MeteorOptions {
  alpha?: number;
  beta?: number;
  gamma?: number;
  stemmer?: Stemmer;
}

export interface MeteorDetail {
  score: number;
  matches: number;
  chunks: number;
  precision: number;
  recall: number;
  fmean: number;
  penalty: number;
  /** [hypothesisIndex, referenceIndex] pairs sorted by hypothesis index. */
  alignment: [number, number][];
}

type Enum = [index: number, word: string][];

/** NLTK `_match_enums`: mutates the lists (matched entries are removed). */
function matchEnums(hyp: Enum, ref: Enum): [number, number][] {
  const out: [number, number][] = [];
  for (let i = hyp.length - 1; i >= 0; i--) {
    for (let j = ref.length - 1; j >= 0; j--) {
      if (hyp[i][1] === ref[j][1]) {
        out.push([hyp[i][0], ref[j][0]]);
        hyp.splice(i, 1);
        ref.splice(j, 1);
        break;
      }
    }
  }
  return out;
}

function countChunks(matches: readonly [number, number][]): number {
  let chunks = 1;
  for (let i = 0; i < matches.length - 1; i++) {
    const adjacent = matches[i + 1][0] === matches[i][0] + 1 && matches[i + 1][1] === matches[i][1] + 1;
    if (!adjacent) chunks++;
  }
  return chunks;
}

/** METEOR of one tokenized hypothesis against one tokenized reference, with the details. */
export function meteorDetail(
  reference: readonly string[],
  hypothesis: readonly string[],
  options: MeteorOptions = {},
): MeteorDetail {
  const alpha = options.alpha ?? 0.9;
  const beta = options.beta ?? 3;
  const gamma = options.gamma ?? 0.5;
  const stem = options.stemmer ?? porterStem;
  let hyp: Enum = hypothesis.map((w, i) => [i, w.toLowerCase()]);
  let ref: Enum = reference.map((w, i) => [i, w.toLowerCase()]);
  const exact = matchEnums(hyp, ref);
  hyp = hyp.map(([i, w]) => [i, stem(w)]);
  ref = ref.map(([i, w]) => [i, stem(w)]);
  const stemmed = matchEnums(hyp, ref);
  const alignment = [...exact, ...stemmed].sort((a, b) => a[0] - b[0]);
  const m = alignment.length;
  const empty = { score: 0, matches: m, chunks: 0, precision: 0, recall: 0, fmean: 0, penalty: 0, alignment };
  if (m === 0 || hypothesis.length === 0 || reference.length === 0) return empty;
  const precision = m / hypothesis.length;
  const recall = m / reference.length;
  const fmean = (precision * recall) / (alpha * precision + (1 - alpha) * recall);
  const chunks = countChunks(alignment);
  const penalty = gamma * Math.pow(chunks / m, beta);
  return { score: (1 - penalty) * fmean, matches: m, chunks, precision, recall, fmean, penalty, alignment };
}

/** NLTK `meteor_score(references, hypothesis)`: the best score over the references. */
export function meteor(
  references: readonly (readonly string[])[],
  hypothesis: readonly string[],
  options: MeteorOptions = {},
): number {
  if (references.length === 0) throw new RangeError("meteor needs at least one reference");
  return Math.max(...references.map((r) => meteorDetail(r, hypothesis, options).score));
}

/** Mean sentence-level METEOR over a corpus (how summarization papers report it). */
export function meanMeteor(
  pairs: readonly { reference: readonly string[]; hypothesis: readonly string[] }[],
  options: MeteorOptions = {},
): number {
  if (pairs.length === 0) throw new RangeError("meanMeteor needs at least one pair");
  let s = 0;
  for (const p of pairs) s += meteorDetail(p.reference, p.hypothesis, options).score;
  return s / pairs.length;
}
