// `npm run data:summarize -- [--out-dir runs/data] [--sentences 250000] [--wiki-pairs 24000] [--xsum-repeat 3]
//   [--xsum-splits train_superni] [--copy-pairs 0] [--seed 1]`
// Writes <out-dir>/news-sentences.jsonl (autoencoder stage, lines {text}) and <out-dir>/sum-mix.jsonl
// (denoiser stage, lines {id, summary, document}) from the shared corpora (DATA_DIR): Wikipedia
// paragraph pairs of the train split and the XSum pairs of --xsum-splits (comma-separated; evaluation
// reads xsum/test, so train_superni and validation are both fair to train on). Files are written atomically.
import { parseArgs } from "node:util";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { collect, readXsum, wikiParagraphPairs, writeFileAtomic } from "@ldtext/core";
import { pairMix, sentenceCorpus } from "../train/news-data.ts";

const { values } = parseArgs({
  options: { "out-dir": { type: "string", default: "runs/data" }, sentences: { type: "string", default: "250000" }, "wiki-pairs": { type: "string", default: "24000" }, "xsum-repeat": { type: "string", default: "3" }, "xsum-splits": { type: "string", default: "train_superni" }, "copy-pairs": { type: "string", default: "0" }, seed: { type: "string", default: "1" } },
});
const num = (k: keyof typeof values) => {
  const n = Number(values[k]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${k} needs a whole number, got ${values[k]}`);
  return n;
};
const outDir = values["out-dir"]!;
const seed = num("seed");
const wiki = (await collect(wikiParagraphPairs("train"))).map((p) => ({ id: p.id, summary: p.summary, document: p.document }));
const xsumSplits = values["xsum-splits"]!.split(",").map((x) => x.trim());
const allowedSplits = ["train_superni", "validation"];
for (const split of xsumSplits) if (!allowedSplits.includes(split)) throw new Error(`--xsum-splits takes ${allowedSplits.join(" and/or ")} (xsum/test is kept for evaluation), got ${split}`);
const xsum = (await Promise.all(xsumSplits.map((split) => collect(readXsum(split))))).flat().map((p) => ({ id: p.id, summary: p.summary, document: p.document }));
const sentences = sentenceCorpus([...wiki, ...xsum], num("sentences"), seed);
const mix = pairMix(wiki, xsum, { wikiCount: num("wiki-pairs"), xsumRepeat: num("xsum-repeat"), seed: seed + 1, copyCount: num("copy-pairs") });
await mkdir(outDir, { recursive: true });
await writeFileAtomic(join(outDir, "news-sentences.jsonl"), sentences.map((text) => JSON.stringify({ text })).join("\n") + "\n");
await writeFileAtomic(join(outDir, "sum-mix.jsonl"), mix.map((p) => JSON.stringify(p)).join("\n") + "\n");
console.log(JSON.stringify({ wikiParagraphPairs: wiki.length, copyPairs: num("copy-pairs"), xsumPairs: xsum.length, xsumSplits, sentences: sentences.length, mixPairs: mix.length, outDir }));
