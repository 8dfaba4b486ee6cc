// Trains the reference LM on the *training* split of a corpus with the artifact's vocabulary:
// next-token cross-entropy, AdamW with warm-up and cosine decay (the trainer's schedule), a seeded
// per-epoch shuffle, validation NLL, atomic checkpoints of the whole folder and exact resume.
import * as tf from "@tensorflow/tfjs";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { CompactTokenizer, type FloatWeights, type Vocabulary, SeededRandom, collect, loadCheckpoint, readArtifact, readTexts, readXsum, writeDirAtomic } from "@ldtext/core";
import { initBackend, learningRate, softmaxCrossEntropy, type BackendKind } from "@ldtext/training";
import { progressBar } from "../progress.ts";
import { type RefLmConfig, initRefLmWeights, layoutRows, refLmHidden, refLmLogits } from "./model.ts";
import { REFLM_FILE, REFLM_FORMAT, REFLM_VERSION, type RefLmJson, RefLm, indexOf, packWeights, readRefLmJson, unpackWeights } from "./reflm.ts";

export interface RefLmTrainOptions {
  /** rocstories | wikipedia | xsum-summaries | a `{text}` JSONL file or folder of `<split>.jsonl[.gz]`. */
  data: string;
  /** Artifact folder or training checkpoint whose vocabulary the LM uses. */
  vocabFrom: string;
  /** A vocabulary given directly (tests); `vocabFrom` is then only recorded. */
  vocabulary?: Vocabulary;
  out: string;
  steps: number;
  batch?: number;
  lr?: number;
  maxLen?: number;
  dModel?: number;
  heads?: number;
  layers?: number;
  ffn?: number;
  seed?: number;
  /** Cap on training texts read (the Wikipedia split is large). */
  maxTrain?: number;
  valEvery?: number;
  ckptEvery?: number;
  backend?: BackendKind;
  progress?: boolean;
  /** Data directory override (tests). */
  dataDir?: string;
}

export interface RefLmTrainSummary {
  out: string;
  id: string;
  steps: number;
  firstLoss: number;
  lastLoss: number;
  valNll: number;
  seconds: number;
}

/** The vocabulary of an artifact folder (manifest.json) or a training checkpoint. */
export async function vocabularyFrom(path: string): Promise<Vocabulary> {
  if (existsSync(join(path, "manifest.json"))) return (await readArtifact(path)).vocabulary;
  if (existsSync(join(path, REFLM_FILE))) return (await readRefLmJson(path)).vocabulary;
  return (await loadCheckpoint(path)).vocabulary;
}

/** Texts of a split for the reference LM (xsum-summaries: the summaries of XSum). */
export async function lmTexts(data: string, split: "train" | "validation", opts: { limit?: number; dataDir?: string } = {}): Promise<string[]> {
  const limit = opts.limit ?? Infinity;
  const dd = opts.dataDir ? { dataDir: opts.dataDir } : {};
  if (data === "xsum-summaries" || data === "xsum") {
    return (await collect(readXsum(split === "train" ? "train_superni" : split, dd), limit)).map((p) => p.summary);
  }
  return collect(readTexts(data, split, dd), limit);
}

interface AdamState {
  m: Map<string, tf.Variable>;
  v: Map<string, tf.Variable>;
}

function toFloat(vars: Map<string, tf.Variable>): FloatWeights {
  const out: FloatWeights = new Map();
  for (const [name, t] of vars) out.set(name, { shape: [...t.shape], data: Float32Array.from(t.dataSync() as Float32Array) });
  return out;
}

export async function trainRefLm(o: RefLmTrainOptions): Promise<RefLmTrainSummary> {
  const t0 = Date.now();
  const log = (l: string) => (o.progress === false ? undefined : process.stderr.write(`${l}\n`));
  await initBackend(o.backend ?? "auto", { log: o.progress === false ? null : log });
  const seed = o.seed ?? 0;
  const batch = o.batch ?? 32;
  const lr = o.lr ?? 1e-3;
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new RangeError(`--steps must be a positive integer, got ${o.steps}`);

  // Resume when the folder holds an unfinished run of the same data.
  const resume = existsSync(join(o.out, REFLM_FILE)) ? await readRefLmJson(o.out) : null;
  const vocabulary = resume?.vocabulary ?? o.vocabulary ?? (await vocabularyFrom(o.vocabFrom));
  const tok = CompactTokenizer.fromJSON(vocabulary);
  const cfg: RefLmConfig = resume?.config ?? {
    vocabSize: tok.vocabSize,
    maxLen: o.maxLen ?? 64,
    dModel: o.dModel ?? 128,
    heads: o.heads ?? 4,
    layers: o.layers ?? 2,
    ffn: o.ffn ?? 384,
  };
  if (cfg.dModel % cfg.heads !== 0 || (cfg.dModel / cfg.heads) % 2 !== 0) throw new RangeError(`dModel ${cfg.dModel} must split into ${cfg.heads} heads of even width`);

  const trainTexts = await lmTexts(o.data, "train", { limit: o.maxTrain, dataDir: o.dataDir });
  if (trainTexts.length === 0) throw new Error(`${o.data}: the training split is empty`);
  let valTexts: string[];
  try {
    valTexts = await lmTexts(o.data, "validation", { limit: 256, dataDir: o.dataDir });
  } catch {
    valTexts = trainTexts.slice(0, Math.min(256, trainTexts.length));
  }
  log(`[reflm] ${o.data}: ${trainTexts.length} training texts, ${valTexts.length} validation texts, vocabulary ${cfg.vocabSize} from ${resume?.data.vocabFrom ?? o.vocabFrom}`);
  const train = layoutRows(trainTexts.map((t) => tok.encode(t)), cfg.maxLen);
  const T = cfg.maxLen;

  const weights = resume ? unpackWeights(resume.index, await readFile(join(o.out, "weights.bin")), "weights.bin") : initRefLmWeights(cfg, seed);
  const vars = new Map<string, tf.Variable>();
  for (const [name, w] of weights) vars.set(name, tf.variable(tf.tensor(w.data, w.shape), true, `reflm_${name}_${Math.random().toString(36).slice(2)}`));
  const zeros = (name: string) => tf.variable(tf.zeros(vars.get(name)!.shape), false);
  const adam: AdamState = { m: new Map(), v: new Map() };
  if (resume && existsSync(join(o.out, "adam_m.bin"))) {
    const m = unpackWeights(resume.index, await readFile(join(o.out, "adam_m.bin")), "adam_m.bin");
    const v = unpackWeights(resume.index, await readFile(join(o.out, "adam_v.bin")), "adam_v.bin");
    for (const name of vars.keys()) {
      adam.m.set(name, tf.variable(tf.tensor(m.get(name)!.data, m.get(name)!.shape), false));
      adam.v.set(name, tf.variable(tf.tensor(v.get(name)!.data, v.get(name)!.shape), false));
    }
  } else {
    for (const name of vars.keys()) {
      adam.m.set(name, zeros(name));
      adam.v.set(name, zeros(name));
    }
  }
  const optCfg = { lr, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.01, clipNorm: 1, warmupSteps: Math.min(200, Math.ceil(o.steps * 0.05)), totalSteps: o.steps, minLrRatio: 0.1, emaDecay: 0 };
  const history: RefLmJson["history"] = resume ? [...resume.history] : [];
  let step = resume?.step ?? 0;
  let epoch = resume?.train.epoch ?? 0;
  let position = resume?.train.position ?? 0;
  const n = train.lengths.length;
  let order = new SeededRandom(seed + epoch).shuffle(Array.from({ length: n }, (_, i) => i));
  const source = o.data;
  const vocabFrom = resume?.data.vocabFrom ?? o.vocabFrom;
  const asWeights = (): Record<string, tf.Tensor> => Object.fromEntries(vars);

  const valNll = (): number =>
    tf.tidy(() => {
      const lay = layoutRows(valTexts.map((t) => tok.encode(t)), T);
      let sum = 0;
      let count = 0;
      for (let s = 0; s < valTexts.length; s += batch) {
        const b = Math.min(batch, valTexts.length - s);
        const { loss, tokens } = batchLoss(lay.rows.subarray(s * T, (s + b) * T), b);
        sum += loss.dataSync()[0] * tokens;
        count += tokens;
      }
      return count > 0 ? sum / count : NaN;
    });

  // Mean next-token CE over the real targets (t1 … tn, EOS) of `b` rows.
  const batchLoss = (rows: Int32Array, b: number): { loss: tf.Scalar; tokens: number } => {
    const input = tf.tensor2d(rows, [b, T], "int32");
    const hidden = refLmHidden(cfg, asWeights(), tf.slice(input, [0, 0], [b, T - 1]) as tf.Tensor2D);
    const logits = tf.reshape(refLmLogits(asWeights(), hidden), [b * (T - 1), cfg.vocabSize]) as tf.Tensor2D;
    const labels = tf.reshape(tf.slice(input, [0, 1], [b, T - 1]), [-1]) as tf.Tensor1D;
    let tokens = 0;
    const mask = new Float32Array(b * (T - 1));
    for (let r = 0; r < b; r++) {
      for (let i = 1; i < T; i++) {
        // targets up to and including the first EOS
        const id = rows[r * T + i];
        mask[r * (T - 1) + i - 1] = 1;
        tokens++;
        if (id === 2) break;
      }
    }
    return { loss: softmaxCrossEntropy(logits, labels, tf.tensor1d(mask)), tokens };
  };

  const save = async () => {
    const ws = toFloat(vars);
    const index = indexOf(ws);
    const id = `reflm-${source.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "").toLowerCase().slice(-24)}-d${cfg.dModel}l${cfg.layers}-s${step}-${createHash("sha256").update(packWeights(index, ws)).digest("hex").slice(0, 8)}`;
    const meta: RefLmJson = {
      format: REFLM_FORMAT,
      version: REFLM_VERSION,
      id,
      config: cfg,
      vocabulary,
      data: { source, trainTexts: n, vocabFrom },
      step,
      steps: o.steps,
      index,
      train: { seed, lr, batch, epoch, position },
      history,
    };
    await writeDirAtomic(
      o.out,
      async (tmp) => {
        await writeFile(join(tmp, "weights.bin"), packWeights(index, ws));
        await writeFile(join(tmp, "adam_m.bin"), packWeights(index, toFloat(adam.m)));
        await writeFile(join(tmp, "adam_v.bin"), packWeights(index, toFloat(adam.v)));
        await writeFile(join(tmp, REFLM_FILE), JSON.stringify(meta));
      },
      { replace: true },
    );
    return meta;
  };

  const bar = progressBar("reflm", o.steps, o.progress !== false);
  const valEvery = o.valEvery ?? 200;
  const ckptEvery = o.ckptEvery ?? 500;
  let firstLoss = NaN;
  let lastLoss = NaN;
  bar.update(step);
  while (step < o.steps) {
    const idx: number[] = [];
    while (idx.length < batch) {
      if (position >= n) {
        epoch++;
        position = 0;
        order = new SeededRandom(seed + epoch).shuffle(Array.from({ length: n }, (_, i) => i));
      }
      idx.push(order[position++]);
    }
    const rows = new Int32Array(batch * T);
    idx.forEach((k, r) => rows.set(train.rows.subarray(k * T, (k + 1) * T), r * T));
    step++;
    const { value, grads } = tf.variableGrads(() => batchLoss(rows, batch).loss, [...vars.values()]);
    const loss = value.dataSync()[0];
    value.dispose();
    // AdamW step (decoupled decay on matrices), gradients clipped to global norm 1.
    const rate = learningRate(optCfg, step);
    const byName = new Map<string, tf.Tensor>();
    for (const [name, v] of vars) byName.set(name, grads[v.name]);
    const norm = tf.tidy(() => Math.sqrt(tf.addN([...byName.values()].map((g) => tf.sum(tf.square(g)))).dataSync()[0]));
    const scale = norm > optCfg.clipNorm ? optCfg.clipNorm / (norm + 1e-6) : 1;
    const bc1 = 1 - Math.pow(optCfg.beta1, step);
    const bc2 = 1 - Math.pow(optCfg.beta2, step);
    for (const [name, p] of vars) {
      tf.tidy(() => {
        const g = tf.mul(byName.get(name)!, scale);
        const m = adam.m.get(name)!;
        const v = adam.v.get(name)!;
        const m1 = tf.add(tf.mul(m, optCfg.beta1), tf.mul(g, 1 - optCfg.beta1));
        const v1 = tf.add(tf.mul(v, optCfg.beta2), tf.mul(tf.square(g), 1 - optCfg.beta2));
        const update = tf.div(tf.div(m1, bc1), tf.add(tf.sqrt(tf.div(v1, bc2)), optCfg.eps));
        const decayed = p.rank >= 2 ? tf.mul(p, 1 - rate * optCfg.weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(update, rate)));
        m.assign(m1);
        v.assign(v1);
      });
    }
    tf.dispose(Object.values(grads));
    if (Number.isNaN(firstLoss)) firstLoss = loss;
    lastLoss = loss;
    if (!Number.isFinite(loss)) throw new Error(`reflm: non-finite loss at step ${step}`);
    const rec: RefLmJson["history"][number] = { step, loss };
    if (step % valEvery === 0 || step === o.steps) {
      rec.valNll = valNll();
      bar.log(`[val] step ${step}: validation NLL ${rec.valNll.toFixed(3)} nats/token`);
    }
    history.push(rec);
    bar.update(step, `loss ${loss.toFixed(3)}`);
    if (step % ckptEvery === 0 && step < o.steps) await save();
  }
  bar.stop();
  const meta = await save();
  const val = [...history].reverse().find((h) => h.valNll !== undefined)?.valNll ?? NaN;
  tf.dispose([...vars.values(), ...adam.m.values(), ...adam.v.values()]);
  tok.free();
  return { out: o.out, id: meta.id, steps: step, firstLoss, lastLoss, valNll: val, seconds: (Date.now() - t0) / 1000 };
}

/** Load the reference LM at `dir` (after training). */
export function loadRefLm(dir: string): Promise<RefLm> {
  return RefLm.load(dir);
}
