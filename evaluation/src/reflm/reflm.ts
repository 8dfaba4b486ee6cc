// The reference LM as the evaluation uses it: load a trained folder, then per-text NLLs (PPL),
// one feature vector per text (MAUVE) and contextual token embeddings (BERTScore).
//
// Folder `<dir>/` (written atomically as a whole): `reflm.json` { format, version, id, config,
// vocabulary, data, step, steps, index, train state, history } + `weights.bin` (+ `adam_m.bin`,
// `adam_v.bin` for resuming), float32 little-endian blobs laid out by `index`.
import * as tf from "@tensorflow/tfjs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CompactTokenizer, type FloatWeights, type Vocabulary } from "@ldtext/core";
import type { Weights } from "@ldtext/training";
import type { FeatureMatrix } from "../metrics/index.ts";
import { type RefLmConfig, layoutRows, refLmHidden, refLmLogits } from "./model.ts";

export const REFLM_FORMAT = "ldtext-reflm";
export const REFLM_VERSION = 1;
export const REFLM_FILE = "reflm.json";
export const REFLM_NOTE =
  "Reference LM: the project's own small causal transformer trained on the corpus's training split (GPT-2 Large is not obtainable offline); PPL, MAUVE and BERTScore are therefore not comparable to published numbers.";
export const BERTSCORE_NOTE =
  "BERTScore over the reference LM's last hidden states (a causal LM, left context only), not RoBERTa/DeBERTa: not comparable to published BERTScore values.";

export interface IndexEntry {
  name: string;
  shape: number[];
  offset: number;
}

export interface RefLmJson {
  format: string;
  version: number;
  id: string;
  config: RefLmConfig;
  vocabulary: Vocabulary;
  /** What it was trained on: data name/path, number of training texts, where the vocabulary came from. */
  data: { source: string; trainTexts: number; vocabFrom: string };
  step: number;
  steps: number;
  index: IndexEntry[];
  /** Trainer state for exact resume. */
  train: { seed: number; lr: number; batch: number; epoch: number; position: number };
  /** Train/validation loss records. */
  history: { step: number; loss?: number; valNll?: number }[];
}

export function packWeights(index: IndexEntry[], weights: FloatWeights): Buffer {
  const last = index[index.length - 1];
  const total = last.offset + 4 * last.shape.reduce((a, b) => a * b, 1);
  const buf = Buffer.alloc(total);
  const f32 = new Float32Array(buf.buffer, buf.byteOffset, total / 4);
  for (const e of index) f32.set(weights.get(e.name)!.data, e.offset / 4);
  return buf;
}

export function unpackWeights(index: IndexEntry[], buf: Buffer, file: string): FloatWeights {
  const out: FloatWeights = new Map();
  for (const e of index) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset + 4 * n > buf.length) throw new Error(`${file}: tensor "${e.name}" lies past the end (${buf.length} bytes)`);
    out.set(e.name, { shape: [...e.shape], data: new Float32Array(buf.buffer.slice(buf.byteOffset + e.offset, buf.byteOffset + e.offset + 4 * n)) });
  }
  return out;
}

export function indexOf(weights: FloatWeights): IndexEntry[] {
  const index: IndexEntry[] = [];
  let offset = 0;
  for (const [name, w] of weights) {
    index.push({ name, shape: [...w.shape], offset });
    offset += 4 * w.data.length;
  }
  return index;
}

export async function readRefLmJson(dir: string): Promise<RefLmJson> {
  const path = join(dir, REFLM_FILE);
  let raw: string;
  try {
    raw = await readFile(path, "utf8");
  } catch {
    throw new Error(`${dir}: not a reference-LM folder (no ${REFLM_FILE}); train one with npm run reflm:train`);
  }
  const j = JSON.parse(raw) as RefLmJson;
  if (j.format !== REFLM_FORMAT || j.version !== REFLM_VERSION) throw new Error(`${path}: format ${j.format} v${j.version}, expected ${REFLM_FORMAT} v${REFLM_VERSION}`);
  return j;
}

export interface NllResult {
  /** Per text: NLL (nats) of each scored token (the text's tokens given BOS and the prefix). */
  nlls: Float64Array[];
  /** Per text: the LM's predictive entropy (nats) at each scored position. */
  entropies: Float64Array[];
  /** Texts longer than the LM's window (scored on their head only). */
  truncated: number;
  /** Texts with no token (no score; left out of `nlls`, listed here by index). */
  empty: number[];
}

export class RefLm {
  private readonly vars: Weights;
  readonly tokenizer: CompactTokenizer;

  private constructor(readonly meta: RefLmJson, weights: FloatWeights) {
    this.vars = {};
    for (const [name, w] of weights) this.vars[name] = tf.keep(tf.tensor(w.data, w.shape));
    this.tokenizer = CompactTokenizer.fromJSON(meta.vocabulary);
  }

  static async load(dir: string): Promise<RefLm> {
    const meta = await readRefLmJson(dir);
    const file = join(dir, "weights.bin");
    return new RefLm(meta, unpackWeights(meta.index, await readFile(file), file));
  }

  static fromWeights(meta: RefLmJson, weights: FloatWeights): RefLm {
    return new RefLm(meta, weights);
  }

  get id(): string {
    return this.meta.id;
  }

  get config(): RefLmConfig {
    return this.meta.config;
  }

  dispose(): void {
    tf.dispose(Object.values(this.vars));
    this.tokenizer.free();
  }

  /** The compact-vocabulary ids of `text` (no specials). */
  encode(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  /** Runs `fn` on hidden states of batches of at most `batch` texts (rows of equal, trimmed length). */
  private forEachBatch(
    idsList: readonly number[][],
    batch: number,
    fn: (start: number, hidden: tf.Tensor3D, rows: Int32Array, lengths: number[], T: number) => void,
  ): number {
    const L = this.config.maxLen;
    let truncated = 0;
    for (let start = 0; start < idsList.length; start += batch) {
      const part = idsList.slice(start, start + batch);
      const longest = Math.min(L - 2, Math.max(...part.map((p) => p.length)));
      // Causal: padding after a row's end never changes its earlier positions, so a batch is only
      // as long as its longest text (+ BOS, EOS).
      const T = longest + 2;
      const lay = layoutRows(part, T);
      truncated += part.filter((p) => p.length > L - 2).length;
      tf.tidy(() => {
        const hidden = refLmHidden(this.config, this.vars, tf.tensor2d(lay.rows, [part.length, T], "int32"));
        fn(start, hidden, lay.rows, lay.lengths, T);
      });
    }
    return truncated;
  }

  /** Per-token NLLs and predictive entropies of each text (BOS prepended; the text's tokens scored). */
  nll(texts: readonly string[], batch = 32): NllResult {
    const ids = texts.map((t) => this.encode(t));
    const empty: number[] = [];
    const kept: number[][] = [];
    ids.forEach((x, i) => (x.length === 0 ? empty.push(i) : kept.push(x)));
    const nlls: Float64Array[] = [];
    const entropies: Float64Array[] = [];
    const truncated = this.forEachBatch(kept, batch, (_start, hidden, rows, lengths, T) => {
      const logits = refLmLogits(this.vars, hidden);
      const logZ = tf.logSumExp(logits, -1, true);
      const logp = tf.sub(logits, logZ);
      const ent = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1));
      const lp = logp.dataSync() as Float32Array;
      const en = ent.dataSync() as Float32Array;
      const V = this.config.vocabSize;
      lengths.forEach((n, r) => {
        const a = new Float64Array(n);
        const e = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          // position i (BOS or t_i) predicts t_{i+1} = rows[r, i + 1]
          const label = rows[r * T + i + 1];
          a[i] = -lp[(r * T + i) * V + label];
          e[i] = en[r * T + i];
        }
        nlls.push(a);
        entropies.push(e);
      });
    });
    return { nlls, entropies, truncated, empty };
  }

  /** MAUVE features: the last hidden state at each text's last token (BOS for an empty text), `[n, D]`. */
  features(texts: readonly string[], batch = 32): FeatureMatrix {
    const D = this.config.dModel;
    const data = new Float32Array(texts.length * D);
    const ids = texts.map((t) => this.encode(t));
    this.forEachBatch(ids, batch, (start, hidden, _rows, lengths, T) => {
      const h = hidden.dataSync() as Float32Array;
      lengths.forEach((n, r) => data.set(h.subarray((r * T + n) * D, (r * T + n + 1) * D), (start + r) * D));
    });
    return { rows: texts.length, cols: D, data };
  }

  /** BERTScore embeddings: one row per token of each text (hidden states of t1 … tn) and the token ids. */
  tokenEmbeddings(texts: readonly string[], batch = 32): { embeddings: FeatureMatrix; tokens: number[] }[] {
    const D = this.config.dModel;
    const ids = texts.map((t) => this.encode(t));
    const out: { embeddings: FeatureMatrix; tokens: number[] }[] = [];
    this.forEachBatch(ids, batch, (_start, hidden, rows, lengths, T) => {
      const h = hidden.dataSync() as Float32Array;
      lengths.forEach((n, r) => {
        // An empty text gets the BOS state as its single row, so the metric stays defined.
        const from = n === 0 ? 0 : 1;
        const count = Math.max(1, n);
        const data = new Float32Array(h.subarray((r * T + from) * D, (r * T + from + count) * D));
        const tokens = Array.from(rows.subarray(r * T + from, r * T + from + count));
        out.push({ embeddings: { rows: count, cols: D, data }, tokens });
      });
    });
    return out;
  }
}
