// Absolute quality floors of the redeploy gate: what a candidate must reach whatever serves now, so a
// first deployment (nothing to compare with) is judged too. They read an `npm run eval` folder
// (result.json + samples.jsonl) and, for the invented-word rate, the training corpus's words:
//   - every task: share of non-blank texts, share of decodable texts (at most 10 % U+FFFD — raw byte
//     tokens that form no character), share of distinct texts (across seeds for stories, across
//     documents for summaries);
//   - stories: Div (min), Mem (max), invented-word rate (max; needs the corpus), PPL ratio to the
//     reference texts under the same reference LM (max; needs --reflm);
//   - summaries: ROUGE-L F, stemmed (min), document dependence (min): mean unigram F1 of each summary
//     with its own reference minus with the other documents' references — 0 when the summary does not
//     depend on the document.
// A floor whose evidence is missing (no reference LM, no corpus, no Mem index) is reported as skipped
// and does not fail the gate; a floor set to `off` is not checked.
import { readFileSync } from "node:fs";
import { readTexts } from "@ldtext/core";

export type FloorName = "nonEmpty" | "decodable" | "distinct" | "div" | "mem" | "invented" | "pplRatio" | "rougeL" | "docDependence";

export interface FloorSpec {
  /** min: the candidate's value must be ≥ the threshold; max: ≤. */
  bound: "min" | "max";
  task: "generate" | "summarize" | "both";
  what: string;
  default: number;
}

/** The floors, their direction and their defaults: what a user would want before serving a model. */
export const FLOORS: Record<FloorName, FloorSpec> = {
  nonEmpty: { bound: "min", task: "both", what: "share of texts with a letter or digit", default: 0.95 },
  decodable: { bound: "min", task: "both", what: "share of texts with at most 10 % U+FFFD characters", default: 0.95 },
  distinct: { bound: "min", task: "both", what: "share of distinct texts (across seeds / documents)", default: 0.9 },
  div: { bound: "min", task: "generate", what: "Div (n-gram diversity, 2–4)", default: 0.3 },
  mem: { bound: "max", task: "generate", what: "Mem (4-grams found in the training split)", default: 0.5 },
  invented: { bound: "max", task: "generate", what: "share of words not in the training corpus", default: 0.2 },
  pplRatio: { bound: "max", task: "generate", what: "PPL of samples / PPL of reference texts (same reference LM)", default: 50 },
  rougeL: { bound: "min", task: "summarize", what: "ROUGE-L F (stemmed) vs the references", default: 0.05 },
  docDependence: { bound: "min", task: "summarize", what: "unigram F1 with own reference minus with other documents' references", default: 0.005 },
};

export const FLOOR_NAMES = Object.keys(FLOORS) as FloorName[];

/** Threshold per floor; null = off. */
export type Floors = Record<FloorName, number | null>;

export function defaultFloors(): Floors {
  return Object.fromEntries(FLOOR_NAMES.map((n) => [n, FLOORS[n].default])) as Floors;
}

export class FloorInputError extends Error {
  override name = "FloorInputError";
}

/** `name=value` or `name=off` overrides (CLI `--floor`), on top of the defaults. */
export function parseFloors(specs: readonly string[], base: Floors = defaultFloors()): Floors {
  const out = { ...base };
  for (const spec of specs) {
    const m = /^\s*([A-Za-z]+)\s*=\s*(\S+)\s*$/.exec(spec);
    const name = m && FLOOR_NAMES.find((n) => n.toLowerCase() === m[1].toLowerCase());
    if (!m || !name) throw new FloorInputError(`--floor "${spec}": expected name=value or name=off, name one of ${FLOOR_NAMES.join(", ")}`);
    if (m[2] === "off") {
      out[name] = null;
      continue;
    }
    const v = Number(m[2]);
    if (!Number.isFinite(v) || v < 0) throw new FloorInputError(`--floor ${name}: "${m[2]}" is not a number ≥ 0 (or off)`);
    out[name] = v;
  }
  return out;
}

/** Words as the evaluation's Div/Mem count them (lower case, runs of letters and digits). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

export function isBlank(text: string): boolean {
  return !/[\p{L}\p{N}]/u.test(text);
}

/** U+FFFD characters and all visible characters of a text. */
export function undecodable(text: string): { bad: number; visible: number } {
  const visible = [...text.replace(/\s+/g, "")];
  return { bad: visible.filter((c) => c === "\uFFFD").length, visible: visible.length };
}

/** Whether a text is mostly characters: a stray U+FFFD (a byte token cut mid-character) is tolerated, more than 10 % is not. */
export function isDecodable(text: string): boolean {
  const { bad, visible } = undecodable(text);
  return bad === 0 || bad <= 0.1 * visible;
}

/** Share of `texts` that differ from every other (whitespace and case normalized); blanks count as one text. */
export function distinctShare(texts: readonly string[]): number {
  if (texts.length === 0) return 0;
  return new Set(texts.map((t) => words(t).join(" "))).size / texts.length;
}

/** Share of the samples' words that never occur in `vocabulary` (0 when the samples hold no word). */
export function inventedWordRate(texts: readonly string[], vocabulary: ReadonlySet<string>): number {
  let total = 0;
  let unknown = 0;
  for (const t of texts) {
    for (const w of words(t)) {
      total++;
      if (!vocabulary.has(w)) unknown++;
    }
  }
  return total === 0 ? 0 : unknown / total;
}

/** Every word of a corpus's training split (core's loaders: a dataset name or a .jsonl[.gz] path). */
export async function corpusVocabulary(data: string, options: { dataDir?: string; limit?: number } = {}): Promise<Set<string>> {
  const vocabulary = new Set<string>();
  let n = 0;
  for await (const text of readTexts(data, "train", options.dataDir ? { dataDir: options.dataDir } : {})) {
    for (const w of words(text)) vocabulary.add(w);
    if (options.limit !== undefined && ++n >= options.limit) break;
  }
  return vocabulary;
}

function unigramF1(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const w of b) counts.set(w, (counts.get(w) ?? 0) + 1);
  let overlap = 0;
  for (const w of a) {
    const c = counts.get(w) ?? 0;
    if (c > 0) {
      overlap++;
      counts.set(w, c - 1);
    }
  }
  if (overlap === 0) return 0;
  const p = overlap / a.length;
  const r = overlap / b.length;
  return (2 * p * r) / (p + r);
}

/**
 * How much the summaries depend on their documents: mean unigram F1 of summary i with reference i,
 * minus its mean with the references of the other documents (all of them up to 64 shifts). A model
 * that writes the same text for every document, or text unrelated to it, scores about 0.
 */
export function documentDependence(pairs: readonly { text: string; reference: string }[]): number {
  const n = pairs.length;
  if (n < 2) return 0;
  const pred = pairs.map((p) => words(p.text));
  const refs = pairs.map((p) => words(p.reference));
  let own = 0;
  for (let i = 0; i < n; i++) own += unigramF1(pred[i], refs[i]);
  const shifts = Math.min(n - 1, 64);
  let other = 0;
  for (let s = 1; s <= shifts; s++) for (let i = 0; i < n; i++) other += unigramF1(pred[i], refs[(i + s) % n]);
  return own / n - other / (n * shifts);
}

/** What the floors read: an evaluation's result.json and its samples. */
export interface EvalEvidence {
  task: "generate" | "summarize";
  result: Record<string, unknown>;
  samples: { text: string; reference?: string }[];
}

/** Reads `<dir>/result.json` and `<dir>/samples.jsonl` (a result.json path is accepted for the folder). */
export function readEvaluation(dirOrResult: string): EvalEvidence {
  const dir = dirOrResult.endsWith(".json") ? dirOrResult.replace(/[^/]*$/, "") || "." : dirOrResult;
  const resultPath = dirOrResult.endsWith(".json") ? dirOrResult : `${dir}/result.json`;
  let result: Record<string, unknown>;
  try {
    result = JSON.parse(readFileSync(resultPath, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new FloorInputError(`${resultPath}: ${(e as Error).message}`);
  }
  if (result === null || typeof result !== "object") throw new FloorInputError(`${resultPath}: not a JSON object`);
  const artifact = result.artifact as { task?: unknown } | undefined;
  const task = artifact?.task === "summarize" || result.summarization !== undefined ? "summarize" : "generate";
  let samples: EvalEvidence["samples"] = [];
  const samplesPath = `${dir}/samples.jsonl`;
  try {
    samples = readFileSync(samplesPath, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l, i) => {
        const v = JSON.parse(l) as { text?: unknown; reference?: unknown };
        if (typeof v.text !== "string") throw new FloorInputError(`${samplesPath}:${i + 1}: no "text"`);
        return typeof v.reference === "string" ? { text: v.text, reference: v.reference } : { text: v.text };
      });
  } catch (e) {
    if (e instanceof FloorInputError) throw e;
    throw new FloorInputError(`${samplesPath}: ${(e as Error).message} (the floors need the evaluation's samples)`);
  }
  if (samples.length === 0) throw new FloorInputError(`${samplesPath}: no samples`);
  return { task, result, samples };
}

export interface FloorVerdict {
  floor: FloorName;
  bound: "min" | "max";
  threshold: number;
  value: number | null;
  status: "ok" | "FAIL" | "skipped";
  note?: string;
}

function num(v: unknown, ...path: string[]): number | null {
  let cur: unknown = v;
  for (const k of path) cur = cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[k] : undefined;
  return typeof cur === "number" && Number.isFinite(cur) ? cur : null;
}

/** The floors' verdicts for one evaluation; `vocabulary` = the training corpus's words (invented-word rate). */
export function checkFloors(e: EvalEvidence, floors: Floors, vocabulary?: ReadonlySet<string>): FloorVerdict[] {
  const texts = e.samples.map((s) => s.text);
  const u = e.result.unconditional;
  const s = e.result.summarization;
  const measure = (name: FloorName): { value: number | null; note?: string } => {
    switch (name) {
      case "nonEmpty":
        return { value: texts.filter((t) => !isBlank(t)).length / texts.length, note: `${texts.filter(isBlank).length} of ${texts.length} blank` };
      case "decodable":
        return { value: texts.filter(isDecodable).length / texts.length, note: `${texts.filter((t) => !isDecodable(t)).length} of ${texts.length} mostly U+FFFD` };
      case "distinct":
        return { value: distinctShare(texts), note: `${new Set(texts.map((t) => words(t).join(" "))).size} distinct of ${texts.length}` };
      case "div":
        return { value: num(u, "div", "div") };
      case "mem": {
        const v = num(u, "mem", "mem");
        return v === null ? { value: null, note: "no Mem in the evaluation (no training-split index)" } : { value: v };
      }
      case "invented":
        return vocabulary === undefined ? { value: null, note: "training corpus not given (--data): not checked" } : { value: inventedWordRate(texts, vocabulary), note: `corpus vocabulary ${vocabulary.size} words` };
      case "pplRatio": {
        const own = num(u, "ppl", "mean");
        const ref = num(u, "referenceTexts", "ppl", "mean");
        if (own === null || ref === null || ref <= 0) return { value: null, note: "no reference LM in the evaluation (--reflm): not checked" };
        return { value: own / ref, note: `PPL ${own.toFixed(1)} vs reference texts ${ref.toFixed(1)}` };
      }
      case "rougeL":
        return { value: num(s, "rouge", "stemmed", "rougeL", "fmeasure") };
      case "docDependence": {
        const pairs = e.samples.filter((x): x is { text: string; reference: string } => typeof x.reference === "string");
        if (pairs.length < 2) return { value: null, note: "samples carry no references" };
        return { value: documentDependence(pairs) };
      }
    }
  };
  const out: FloorVerdict[] = [];
  for (const name of FLOOR_NAMES) {
    const spec = FLOORS[name];
    const threshold = floors[name];
    if (threshold === null || (spec.task !== "both" && spec.task !== e.task)) continue;
    const { value, note } = measure(name);
    if (value === null) {
      out.push({ floor: name, bound: spec.bound, threshold, value: null, status: "skipped", note: note ?? "not in the evaluation" });
      continue;
    }
    const pass = spec.bound === "min" ? value >= threshold : value <= threshold;
    out.push({ floor: name, bound: spec.bound, threshold, value, status: pass ? "ok" : "FAIL", ...(note ? { note } : {}) });
  }
  return out;
}
