// reports/quality-vs-compute.md (+ .json data, + charts): one row per shipped model version with the
// compute behind it (training hours, estimated FLOPs) and what a user would see (PPL ratio to test
// texts, words not in the training corpus, MAUVE, Div, Mem, fixed-SNR token accuracy), so anyone
// can read the slope and guess how far more compute would take it. Rows come from `npm run eval`
// results (result.json) and are merged into the committed JSON by model@version + reference LM, so
// each session adds its version without re-evaluating the old ones.
// Summarizers (task summarize) get their own rows (`summarizers` in the JSON, a "Summarizers" table
// below the generate table and chart): ROUGE (stemmed, as the eval's dependence table, plus plain
// R-L), lead-1 beside, document dependence and the eval's verdict; merged by model@version + guidance + candidates.
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { writeLineChart } from "@ldtext/charts";
import { readArtifact, writeFileAtomic } from "@ldtext/core";
import type { EvalResult } from "../run/evaluate.ts";
import { DEPENDENCE_FLOOR, type DocumentDependence } from "../features/index.ts";

export interface QualityRow {
  /** Never written: generate rows predate the field (it discriminates them from SummaryQualityRow). */
  task?: "generate";
  model: string;
  version: string;
  reflm: string | null;
  trainingHours: number;
  /** Estimated training FLOPs (null where the artifact predates the count). */
  trainingFlops: number | null;
  /** How it was trained, in a line (stages, steps). */
  recipe: string;
  cpu: string;
  samples: number;
  steps: number;
  pplRatio: number | null;
  ppl: number | null;
  testPpl: number | null;
  unknownWordRate: number | null;
  mauve: number | null;
  div: number;
  mem: number | null;
  /** SNR → [one call, self-conditioned] token accuracy. */
  probe: Record<string, [number, number]> | null;
  evaluatedAt: string;
}

/** One evaluation of a summarize model version at one guidance. ROUGE values are F1. */
export interface SummaryQualityRow {
  task: "summarize";
  model: string;
  version: string;
  /** Classifier-free guidance the summaries were sampled with (part of the row's key). */
  guidance: number;
  /** Samples each summary was chosen among by minimum Bayes risk (part of the key; absent = 1). */
  candidates?: number;
  /** Reference LM (BERTScore only; ROUGE does not depend on it). */
  reflm: string | null;
  trainingHours: number;
  /** Estimated training FLOPs (null where the artifact predates the count). */
  trainingFlops: number | null;
  /** How it was trained, in a line (stages, steps). */
  recipe: string;
  cpu: string;
  /** Evaluation data and split (xsum/test). */
  data: string;
  samples: number;
  steps: number;
  /** ROUGE-1/2/L with Porter stemming: the variant of the eval's dependence table. */
  rouge1: number;
  rouge2: number;
  rougeL: number;
  /** ROUGE-L without stemming. */
  rougeLPlain: number;
  /** Lead-1 baseline (each document's first sentence) ROUGE-L, stemmed, on the same pairs (null: not in the result). */
  lead1RougeL: number | null;
  /** ROUGE-L (stemmed) against the own reference minus against a shuffled one (null: fewer than 2 samples). */
  rougeLDependence: number | null;
  lead1RougeLDependence: number | null;
  /** Mean pairwise ROUGE-L of summaries of different documents from one shared seed. */
  sharedSeedSimilarity: number | null;
  /** The eval's verdict (ROUGE-L dependence < 0.01 → "ignores the document"); null without a dependence measurement. */
  verdict: DocumentDependence["verdict"] | null;
  /** Share of the summaries' word pairs absent from their documents, model and references (absent or null: not in the result). */
  novelBigrams?: number | null;
  referenceNovelBigrams?: number | null;
  bertScoreF1: number | null;
  evaluatedAt: string;
}

export interface QualityReport {
  kind: "ldtext-quality-vs-compute";
  /** Generate models (no `task` field: the format predates summarizer rows). */
  rows: QualityRow[];
  /** Summarize models; absent in reports written before summarizer rows. */
  summarizers?: SummaryQualityRow[];
}

export interface RowCompute {
  trainingHours: number;
  trainingFlops: number | null;
  recipe: string;
  cpu?: string;
}

const cpuLine = () => `${cpus().length} × ${cpus()[0]?.model.trim() ?? "?"}`;

export function rowFromEval(r: EvalResult, o: RowCompute): QualityRow {
  const u = r.unconditional;
  if (!u) throw new Error(`${r.artifact.id}@${r.artifact.version}: quality-vs-compute rows are for generate models (this result has no unconditional metrics; summarize results: summaryRowFromEval)`);
  return {
    model: r.artifact.id,
    version: r.artifact.version,
    reflm: r.reflm?.id ?? null,
    trainingHours: o.trainingHours,
    trainingFlops: o.trainingFlops,
    recipe: o.recipe,
    cpu: o.cpu ?? cpuLine(),
    samples: r.config.samples,
    steps: r.config.steps,
    pplRatio: u.pplRatio ?? null,
    ppl: u.ppl?.mean ?? null,
    testPpl: u.referenceTexts?.ppl?.mean ?? null,
    unknownWordRate: u.unknownWords?.rate ?? null,
    mauve: u.mauve?.mauve ?? null,
    div: u.div.div,
    mem: u.mem?.mem ?? null,
    probe: r.snrProbe ? Object.fromEntries(r.snrProbe.probes.map((p) => [String(p.snr), [p.acc, p.accSc] as [number, number]])) : null,
    evaluatedAt: r.createdAt,
  };
}

/** The summarizer row of a summarize model's `npm run eval` result. */
export function summaryRowFromEval(r: EvalResult, o: RowCompute): SummaryQualityRow {
  const s = r.summarization;
  if (r.artifact.task !== "summarize" || !s) throw new Error(`${r.artifact.id}@${r.artifact.version}: summarizer rows are for summarize models (this result has no summarization metrics)`);
  const d = r.dependence;
  return {
    task: "summarize",
    model: r.artifact.id,
    version: r.artifact.version,
    guidance: r.config.guidance,
    ...((r.config.candidates ?? 1) > 1 ? { candidates: r.config.candidates } : {}),
    reflm: r.reflm?.id ?? null,
    trainingHours: o.trainingHours,
    trainingFlops: o.trainingFlops,
    recipe: o.recipe,
    cpu: o.cpu ?? cpuLine(),
    data: `${r.config.data}/${r.config.split}`,
    samples: r.config.samples,
    steps: r.config.steps,
    rouge1: s.rouge.stemmed.rouge1.fmeasure,
    rouge2: s.rouge.stemmed.rouge2.fmeasure,
    rougeL: s.rouge.stemmed.rougeL.fmeasure,
    rougeLPlain: s.rouge.plain.rougeL.fmeasure,
    lead1RougeL: r.lead1?.rouge.stemmed.rougeL.fmeasure ?? null,
    rougeLDependence: d?.model.rougeL.dependence ?? null,
    lead1RougeLDependence: d?.lead1.rougeL.dependence ?? null,
    sharedSeedSimilarity: d?.model.sharedSeedSimilarity ?? null,
    verdict: d?.model.verdict ?? null,
    novelBigrams: r.extractiveness?.model.novelBigrams ?? null,
    referenceNovelBigrams: r.extractiveness?.reference.novelBigrams ?? null,
    bertScoreF1: s.bertScore?.f1 ?? null,
    evaluatedAt: r.createdAt,
  };
}

/** A row of either kind from an eval result, by the artifact's task. */
export function anyRowFromEval(r: EvalResult, o: RowCompute): QualityRow | SummaryQualityRow {
  return r.artifact.task === "summarize" ? summaryRowFromEval(r, o) : rowFromEval(r, o);
}

/** Rows of `next` replace rows of `prev` with the same model, version and reference LM; sorted by hours. */
export function mergeRows(prev: readonly QualityRow[], next: readonly QualityRow[]): QualityRow[] {
  const key = (r: QualityRow) => `${r.model}@${r.version}|${r.reflm ?? ""}`;
  const out = new Map(prev.map((r) => [key(r), r]));
  for (const r of next) out.set(key(r), r);
  return [...out.values()].sort((a, b) => a.model.localeCompare(b.model) || a.trainingHours - b.trainingHours);
}

/**
 * Rows of `next` replace rows of `prev` with the same model, version and guidance (a guidance sweep
 * keeps one row per guidance and candidate count; re-evaluating at another step count or reference LM replaces the row);
 * sorted by model, hours, guidance.
 */
export function mergeSummaryRows(prev: readonly SummaryQualityRow[], next: readonly SummaryQualityRow[]): SummaryQualityRow[] {
  const key = (r: SummaryQualityRow) => `${r.model}@${r.version}|g${r.guidance}|k${r.candidates ?? 1}`;
  const out = new Map(prev.map((r) => [key(r), r]));
  for (const r of next) out.set(key(r), r);
  return [...out.values()].sort((a, b) => a.model.localeCompare(b.model) || a.trainingHours - b.trainingHours || a.guidance - b.guidance || (a.candidates ?? 1) - (b.candidates ?? 1));
}

const f = (x: number | null, d = 2) => (x === null || !Number.isFinite(x) ? "–" : x.toFixed(d));

export function reportMarkdown(rep: QualityReport): string {
  const snrs = [...new Set(rep.rows.flatMap((r) => Object.keys(r.probe ?? {})))];
  const lines = [
    "# Quality against compute",
    "",
    "Every shipped version of a generate model: the compute behind its weights and what its samples look like.",
    "`npm run report:quality -- <eval result.json> …` adds rows (see evaluation/README.md). PPL ratio: samples' mean PPL over",
    "the test texts' under the same reference LM (1 = like the data; this issue's goal ≤ 3, then ≤ 1.5). Unknown words:",
    "share of sampled words that never occur in the training corpus. Probe: Dec(x̂0) token accuracy from test texts noised",
    "to a fixed SNR, one denoiser call / self-conditioned (– where the artifact has no encoder graph). FLOPs are estimates",
    "(2 per parameter-token forward, 6 forward+backward; training/src/train/flops.ts).",
    "",
    `| model | hours | FLOPs | recipe | PPL ratio | PPL / test | unknown words | MAUVE | Div | Mem | ${snrs.map((s) => `acc@SNR ${s}`).join(" | ")} | reference LM |`,
    `|---|---:|---:|---|---:|---:|---:|---:|---:|---:|${snrs.map(() => "---:|").join("")}---|`,
  ];
  for (const r of rep.rows) {
    const probe = snrs.map((s) => (r.probe?.[s] ? `${(100 * r.probe[s][0]).toFixed(1)} / ${(100 * r.probe[s][1]).toFixed(1)} %` : "–"));
    lines.push(
      `| ${r.model}@${r.version} | ${f(r.trainingHours)} | ${r.trainingFlops === null ? "–" : r.trainingFlops.toExponential(2)} | ${r.recipe} | ${f(r.pplRatio)} | ${f(r.ppl, 1)} / ${f(r.testPpl, 1)} | ${r.unknownWordRate === null ? "–" : `${(100 * r.unknownWordRate).toFixed(2)} %`} | ${f(r.mauve)} | ${f(r.div)} | ${f(r.mem, 3)} | ${probe.join(" | ")} | ${r.reflm ?? "–"} |`,
    );
  }
  lines.push("", `Each row: ${rep.rows[0]?.samples ?? "?"} samples at ${rep.rows[0]?.steps ?? "?"} DDIM steps (see the JSON for each row's own), CPU as recorded per row.`, "", "![PPL ratio against training hours](quality-vs-compute.svg)", "");
  const sum = rep.summarizers ?? [];
  if (sum.length > 0) lines.push(...summarizerMarkdown(sum), "");
  return lines.join("\n");
}

function novelPair(r: SummaryQualityRow): string {
  const pc = (x: number | null | undefined) => (x === null || x === undefined ? "–" : `${(100 * x).toFixed(1)} %`);
  return r.novelBigrams === null || r.novelBigrams === undefined ? "–" : `${pc(r.novelBigrams)} / ${pc(r.referenceNovelBigrams)}`;
}

function summarizerMarkdown(rows: readonly SummaryQualityRow[]): string[] {
  const lines = [
    "## Summarizers",
    "",
    "Every shipped version of a summarize model, one row per guidance and candidate count (summaries chosen by minimum Bayes risk among k samples), from its `npm run eval` result. ROUGE: F1 against the",
    "split's reference summaries with Porter stemming (the variant of the eval's dependence table), R-L (plain) without.",
    "Lead-1: each document's first sentence as its summary, on the same pairs (what \"no model\" scores). Dependence: R-L",
    "(stemmed) against the own reference minus against another document's (a fixed permutation); the verdict is the eval's",
    `("ignores the document" when the model's R-L dependence is below ${DEPENDENCE_FLOOR}, whatever its ROUGE). Shared-seed similarity: mean`,
    "pairwise R-L between summaries of different documents sampled from one seed (1 = the same summary for every document).",
    "Novel word pairs: share of the summaries' word pairs that are not in their documents, model / references (lead-1: 0 %;",
    "– for results from before the eval measured it).",
    "",
    "| model | hours | FLOPs | recipe | samples | steps | guidance | candidates | R-1 | R-2 | R-L | R-L (plain) | lead-1 R-L | R-L dependence | lead-1 dependence | shared-seed similarity | novel word pairs | verdict |",
    "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.model}@${r.version} | ${f(r.trainingHours)} | ${r.trainingFlops === null ? "–" : r.trainingFlops.toExponential(2)} | ${r.recipe} | ${r.samples} | ${r.steps} | ${r.guidance} | ${r.candidates ?? 1} | ${f(r.rouge1, 3)} | ${f(r.rouge2, 3)} | ${f(r.rougeL, 3)} | ${f(r.rougeLPlain, 3)} | ${f(r.lead1RougeL, 3)} | ${f(r.rougeLDependence, 3)} | ${f(r.lead1RougeLDependence, 3)} | ${f(r.sharedSeedSimilarity, 3)} | ${novelPair(r)} | ${r.verdict ?? "–"} |`,
    );
  }
  return lines;
}

export async function writeQualityReport(pathWithoutExt: string, rep: QualityReport): Promise<void> {
  await writeFileAtomic(`${pathWithoutExt}.json`, `${JSON.stringify(rep, null, 2)}\n`);
  await writeFileAtomic(`${pathWithoutExt}.md`, reportMarkdown(rep));
  const models = [...new Set(rep.rows.map((r) => r.model))];
  const series = models.flatMap((m) => {
    const rows = rep.rows.filter((r) => r.model === m && r.pplRatio !== null);
    return [
      { name: `${m}: PPL ratio`, points: rows.map((r) => [r.trainingHours, r.pplRatio!] as [number, number]) },
      { name: `${m}: unknown words %`, points: rows.filter((r) => r.unknownWordRate !== null).map((r) => [r.trainingHours, 100 * r.unknownWordRate!] as [number, number]) },
    ];
  });
  await writeLineChart(pathWithoutExt, { title: "Sample quality against training compute (lower is better)", xLabel: "training hours (2 CPU cores)", yLabel: "PPL ratio · unknown words %", series, logY: true });
}

export async function readQualityReport(path: string): Promise<QualityReport> {
  if (!existsSync(path)) return { kind: "ldtext-quality-vs-compute", rows: [] };
  const r = JSON.parse(await readFile(path, "utf8")) as QualityReport;
  if (r.kind !== "ldtext-quality-vs-compute") throw new Error(`${path}: not a quality-vs-compute report`);
  // Reports written before summarizer rows have no `summarizers` (and generate rows never carry a task).
  return { ...r, summarizers: r.summarizers ?? [] };
}

/** Hours and FLOPs from the artifact's manifest (cumulative over stages since trainSec/trainFlops were recorded). */
export async function computeOf(artifact: string): Promise<{ hours: number; flops: number | null; command: string }> {
  const m = await readArtifact(artifact);
  return { hours: m.training.seconds / 3600, flops: m.training.flops ?? null, command: m.training.command };
}
