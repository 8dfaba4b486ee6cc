// reports/quality-vs-compute.md (+ .json data, + charts): one row per shipped model version with the
// compute behind it (training hours, estimated FLOPs) and what a user would see (PPL ratio to test
// texts, words not in the training corpus, MAUVE, Div, Mem, fixed-SNR token accuracy), so anyone
// can read the slope and guess how far more compute would take it. Rows come from `npm run eval`
// results (result.json) and are merged into the committed JSON by model@version + reference LM, so
// each session adds its version without re-evaluating the old ones.
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { writeLineChart } from "@ldtext/charts";
import { readArtifact, writeFileAtomic } from "@ldtext/core";
import type { EvalResult } from "../run/evaluate.ts";

export interface QualityRow {
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

export interface QualityReport {
  kind: "ldtext-quality-vs-compute";
  rows: QualityRow[];
}

export function rowFromEval(r: EvalResult, o: { trainingHours: number; trainingFlops: number | null; recipe: string; cpu?: string }): QualityRow {
  const u = r.unconditional;
  if (!u) throw new Error(`${r.artifact.id}@${r.artifact.version}: quality-vs-compute rows are for generate models (this result has no unconditional metrics)`);
  return {
    model: r.artifact.id,
    version: r.artifact.version,
    reflm: r.reflm?.id ?? null,
    trainingHours: o.trainingHours,
    trainingFlops: o.trainingFlops,
    recipe: o.recipe,
    cpu: o.cpu ?? `${cpus().length} × ${cpus()[0]?.model.trim() ?? "?"}`,
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

/** Rows of `next` replace rows of `prev` with the same model, version and reference LM; sorted by hours. */
export function mergeRows(prev: readonly QualityRow[], next: readonly QualityRow[]): QualityRow[] {
  const key = (r: QualityRow) => `${r.model}@${r.version}|${r.reflm ?? ""}`;
  const out = new Map(prev.map((r) => [key(r), r]));
  for (const r of next) out.set(key(r), r);
  return [...out.values()].sort((a, b) => a.model.localeCompare(b.model) || a.trainingHours - b.trainingHours);
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
  return lines.join("\n");
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
  return r;
}

/** Hours and FLOPs from the artifact's manifest (cumulative over stages since trainSec/trainFlops were recorded). */
export async function computeOf(artifact: string): Promise<{ hours: number; flops: number | null; command: string }> {
  const m = await readArtifact(artifact);
  return { hours: m.training.seconds / 3600, flops: m.training.flops ?? null, command: m.training.command };
}
