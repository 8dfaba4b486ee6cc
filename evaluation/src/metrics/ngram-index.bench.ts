// Mem index at corpus scale: builds the 4-gram fingerprint index from a training split streamed
// from .jsonl.gz (words as rouge-score tokenizes them), then measures Mem of a held-out split
// against it. Prints a human table and one JSON line (build/query time, table bytes, peak RSS).
//
//   npx tsx evaluation/src/metrics/ngram-index.bench.ts [--train <jsonl.gz>] [--heldout <jsonl.gz>] [--max-texts N]
//
// Defaults: ../shared/data/wikipedia/{train,validation}.jsonl.gz beside the repository.
import { createReadStream, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { NgramIndex } from "./ngram-index.ts";
import { memorization } from "./diversity.ts";
import { rougeTokenize } from "./tokenize.ts";

const repo = new URL("../../../", import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    train: { type: "string", default: `${repo}../shared/data/wikipedia/train.jsonl.gz` },
    heldout: { type: "string", default: `${repo}../shared/data/wikipedia/validation.jsonl.gz` },
    "max-texts": { type: "string", default: "0" },
  },
});
const maxTexts = Number(values["max-texts"]) || Infinity;

async function* texts(path: string, onBytes?: (compressedBytes: number) => void): AsyncGenerator<string> {
  const raw = createReadStream(path);
  let read = 0;
  raw.on("data", (chunk) => {
    read += chunk.length;
    onBytes?.(read);
  });
  let n = 0;
  for await (const line of createInterface({ input: raw.pipe(createGunzip()), crlfDelay: Infinity })) {
    if (line.trim() === "") continue;
    const row = JSON.parse(line) as { text?: unknown };
    if (typeof row.text !== "string") throw new Error(`${path}: a line without a "text" string`);
    yield row.text;
    if (++n >= maxTexts) break;
  }
}

let peakRss = 0;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

const size = statSync(values.train).size;
const bar = new cliProgress.SingleBar({ format: "build {bar} {percentage}% | ETA {eta}s | {texts} texts, {distinct} 4-grams", etaBuffer: 50 }, cliProgress.Presets.shades_classic);
bar.start(size, 0, { texts: 0, distinct: 0 });
const index = new NgramIndex({ n: 4, label: "words/rouge-tokenize" });
let trainTexts = 0;
let trainTokens = 0;
const t0 = performance.now();
for await (const text of texts(values.train, (b) => bar.update(b))) {
  const tokens = rougeTokenize(text);
  index.addText(tokens);
  trainTexts++;
  trainTokens += tokens.length;
  if (trainTexts % 5000 === 0) {
    bar.update({ texts: trainTexts, distinct: index.size });
    sampleRss();
  }
}
bar.update(size, { texts: trainTexts, distinct: index.size });
bar.stop();
const buildSeconds = (performance.now() - t0) / 1000;
sampleRss();

const heldout: string[][] = [];
for await (const text of texts(values.heldout)) heldout.push(rougeTokenize(text));
const t1 = performance.now();
const mem = memorization(heldout, index);
const querySeconds = (performance.now() - t1) / 1000;
sampleRss();

const result = {
  bench: "ngram-index",
  train: values.train,
  heldout: values.heldout,
  trainTexts,
  trainTokens,
  distinct4grams: index.size,
  tableBytes: index.bytes,
  bytesPerDistinct: +(index.bytes / index.size).toFixed(2),
  buildSeconds: +buildSeconds.toFixed(2),
  heldoutTexts: heldout.length,
  heldout4grams: mem.total,
  heldoutMem: +mem.mem.toFixed(5),
  queryPerSecond: Math.round(mem.total / querySeconds),
  peakRssMiB: Math.round(peakRss / 2 ** 20),
};
console.table({
  "train texts / tokens": `${trainTexts} / ${trainTokens}`,
  "distinct 4-grams": index.size,
  "table MiB (bytes per 4-gram)": `${(index.bytes / 2 ** 20).toFixed(0)} (${result.bytesPerDistinct})`,
  "build s": result.buildSeconds,
  "held-out Mem": `${result.heldoutMem} of ${mem.total} 4-grams`,
  "queries / s": result.queryPerSecond,
  "peak RSS MiB": result.peakRssMiB,
});
console.log(JSON.stringify(result));
