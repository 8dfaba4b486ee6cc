// Training data: load a corpus (core's readers), tokenize it once into the MODEL-SPEC layout, and
// serve batches in a seeded per-epoch shuffle whose position ({epoch, index}) resumes exactly.
import { type CompactTokenizer, collect, padBatch, padDocuments, readTexts, readXsum, shuffled, splitFile, wikiLeadPairs, wikiParagraphPairs } from "@ldtext/core";
import type { Task } from "@ldtext/core";
import type { Batch } from "./objective.ts";

export interface Example {
  text: string;
  /** Summarization: the source document. */
  document?: string;
}

export interface Corpus {
  train: Example[];
  validation: Example[];
  /** Where each split came from (for the log). */
  source: string;
}

export interface CorpusOptions {
  /** Cap on training examples (the first N of the file), e.g. for the large Wikipedia split. */
  maxTrain?: number;
  maxValidation?: number;
}

/** Pair sets built from the Wikipedia split (core/src/data/wiki.ts). */
const WIKI_PAIRS = new Map([["wiki-pairs", wikiLeadPairs], ["wiki-paras", wikiParagraphPairs]]);
const NAMED = ["rocstories", "wikipedia", "xsum", ...WIKI_PAIRS.keys()];

/**
 * `data`: rocstories | wikipedia (texts), xsum | wiki-pairs | wiki-paras (document/summary pairs), or a path to a
 * `.jsonl[.gz]` file or a folder of `<split>.jsonl[.gz]` (lines `{text}` or `{document, summary}`).
 * A single file is split: its last 5 % (at most 1,000 lines) become the validation set.
 */
export async function loadCorpus(task: Task, data: string, opts: CorpusOptions = {}): Promise<Corpus> {
  const maxTrain = opts.maxTrain ?? Infinity;
  const maxVal = opts.maxValidation ?? 1000;
  const pairs = task === "summarize";
  if (pairs && (data === "rocstories" || data === "wikipedia")) throw new Error(`--task summarize needs document/summary pairs: use --data xsum, wiki-pairs or wiki-paras (got ${data})`);
  const wikiPairs = WIKI_PAIRS.get(data);
  if (!pairs && (data === "xsum" || wikiPairs)) throw new Error(`--data ${data} holds document/summary pairs: use it with --task summarize`);
  const isNamed = NAMED.includes(data);
  const singleFile = !isNamed && /\.jsonl(\.gz)?$/.test(data);

  const read = async (split: string, limit: number): Promise<Example[]> => {
    if (pairs) {
      const source = wikiPairs ? wikiPairs(split) : readXsum(split, data === "xsum" ? {} : { path: data });
      return (await collect(source, limit)).map((p) => ({ text: p.summary, document: p.document }));
    }
    return (await collect(readTexts(data, split), limit)).map((text) => ({ text }));
  };
  const trainSplit = data === "xsum" ? "train_superni" : "train";
  if (singleFile) {
    const all = await read(trainSplit, maxTrain === Infinity ? Infinity : maxTrain + maxVal);
    const nVal = Math.min(maxVal, Math.max(1, Math.floor(all.length * 0.05)));
    if (all.length < 2) throw new Error(`${data}: need at least 2 examples, found ${all.length}`);
    return { train: all.slice(0, all.length - nVal).slice(0, maxTrain), validation: all.slice(all.length - nVal), source: `${data} (last ${nVal} lines held out)` };
  }
  const train = await read(trainSplit, maxTrain);
  if (train.length === 0) throw new Error(`${data}: the training split is empty`);
  const folder = wikiPairs ? "wikipedia" : data;
  const source = splitFile(folder, trainSplit);
  let hasValidation = true;
  try {
    splitFile(folder, "validation");
  } catch {
    hasValidation = false;
  }
  if (!hasValidation) {
    // A folder without a validation split: hold out the tail of the training split.
    const nVal = Math.min(maxVal, Math.max(1, Math.floor(train.length * 0.05)));
    return { train: train.slice(0, train.length - nVal), validation: train.slice(train.length - nVal), source: `${source} (no validation split: last ${nVal} held out)` };
  }
  const validation = await read("validation", maxVal);
  return { train, validation, source: `${source} + validation` };
}

/** A corpus tokenized into fixed-length rows (and documents for summarization). */
export interface TokenizedSplit {
  count: number;
  length: number;
  tokens: Int32Array;
  cond?: { length: number; tokens: Int32Array; mask: Float32Array };
  /** Share of texts cut to fit L (worth seeing while choosing L). */
  fractionTruncated: number;
  /** `[count·length·d]` frozen-encoder outputs (see Batch.encodings) and their d. */
  encodings?: { data: Float32Array; dim: number };
  /** `[count·S·Dc]` frozen-CondEnc outputs of the documents (see Batch.condFeatures) and their Dc. */
  condFeatures?: { data: Float32Array; dim: number };
}

export function tokenizeSplit(tok: CompactTokenizer, examples: Example[], length: number, condLength?: number): TokenizedSplit {
  const padded = padBatch(examples.map((e) => tok.encode(e.text)), length);
  const out: TokenizedSplit = { count: examples.length, length, tokens: padded.ids, fractionTruncated: padded.stats.fractionTruncated };
  if (condLength !== undefined) {
    const docs = padDocuments(examples.map((e) => tok.encode(e.document ?? "")), condLength);
    out.cond = { length: condLength, tokens: docs.ids, mask: docs.mask };
  }
  return out;
}

/** Rows `indices` (each `row` values long) of `data`, packed in that order. */
function gatherRows<T extends Int32Array | Float32Array>(data: T, row: number, indices: readonly number[]): T {
  const out = new (data.constructor as new (n: number) => T)(indices.length * row);
  indices.forEach((r, i) => out.set(data.subarray(r * row, (r + 1) * row), i * row));
  return out;
}

/** Rows `indices` of a split as a batch. */
export function gatherBatch(split: TokenizedSplit, indices: number[]): Batch {
  const L = split.length;
  const batch: Batch = { tokens: gatherRows(split.tokens, L, indices), batch: indices.length, length: L };
  if (split.encodings) batch.encodings = gatherRows(split.encodings.data, L * split.encodings.dim, indices);
  if (split.cond) {
    const S = split.cond.length;
    batch.cond = { tokens: gatherRows(split.cond.tokens, S, indices), mask: gatherRows(split.cond.mask, S, indices), length: S };
    if (split.condFeatures) batch.condFeatures = gatherRows(split.condFeatures.data, S * split.condFeatures.dim, indices);
  }
  return batch;
}

export interface DataPosition {
  epoch: number;
  index: number;
}

/** Seeded per-epoch shuffle (epoch e uses seed + e); batches run across epoch ends. */
export class BatchSampler {
  private order: number[] = [];
  private orderEpoch = -1;
  constructor(readonly split: TokenizedSplit, readonly batchSize: number, readonly seed: number, public position: DataPosition = { epoch: 0, index: 0 }) {
    if (split.count === 0) throw new Error("no training examples");
  }

  private orderOf(epoch: number): number[] {
    if (this.orderEpoch !== epoch) {
      this.order = shuffled(Array.from({ length: this.split.count }, (_, i) => i), this.seed + epoch);
      this.orderEpoch = epoch;
    }
    return this.order;
  }

  next(): Batch {
    const rows: number[] = [];
    let { epoch, index } = this.position;
    while (rows.length < this.batchSize) {
      if (index >= this.split.count) {
        epoch++;
        index = 0;
      }
      rows.push(this.orderOf(epoch)[index++]);
    }
    this.position = { epoch, index };
    return gatherBatch(this.split, rows);
  }
}
