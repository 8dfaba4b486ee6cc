// The summarizer's training files, built from the shared corpora (issue 15): a sentence corpus for the
// autoencoder stage (every summary and every sentence of every document, so the encoder that later
// reads documents as the condition has seen document text) and a pair mix for the denoiser stage
// (Wikipedia paragraph pairs plus the XSum training pairs repeated, so the 1,085 XSum pairs are not
// drowned by ~219k Wikipedia ones). Pure functions here; `npm run data:summarize` writes the files.
import { shuffled, splitFirstSentence } from "@ldtext/core";

export interface Pair {
  id: string;
  summary: string;
  document: string;
}

/** The sentences of `text` (whitespace collapsed), dropping fragments under `minWords` words. */
export function sentencesOf(text: string, minWords = 4): string[] {
  const out: string[] = [];
  let rest = text.replace(/\s+/g, " ").trim();
  while (rest) {
    const [first, after] = splitFirstSentence(rest);
    if (first.split(" ").length >= minWords) out.push(first);
    rest = after;
  }
  return out;
}

/** Distinct summaries and document sentences, shuffled by `seed`, at most `limit`. */
export function sentenceCorpus(pairs: readonly Pair[], limit: number, seed: number): string[] {
  const texts = new Set<string>();
  for (const p of pairs) {
    texts.add(p.summary.replace(/\s+/g, " ").trim());
    for (const s of sentencesOf(p.document)) texts.add(s);
  }
  return shuffled([...texts], seed).slice(0, limit);
}

/** `wikiCount` Wikipedia pairs drawn by `seed` plus every XSum pair `xsumRepeat` times, shuffled. */
export function pairMix(wiki: readonly Pair[], xsum: readonly Pair[], o: { wikiCount: number; xsumRepeat: number; seed: number }): Pair[] {
  const picked = shuffled([...wiki], o.seed).slice(0, o.wikiCount);
  const repeated = Array.from({ length: o.xsumRepeat }, () => xsum).flat();
  return shuffled([...picked, ...repeated], o.seed + 1);
}
