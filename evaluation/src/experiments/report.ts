// Experiment reports: `<reports>/<name>.json` (every number, the setting, the preprint's values),
// `<reports>/<name>.md` (table next to the preprint, plots, reading, notes) and the index
// `<reports>/README.md`. All written atomically.
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "@ldtext/core";
import type { ScaleName } from "./scale.ts";

export interface Table {
  columns: string[];
  rows: (string | number | null)[][];
}

export interface ExperimentReport {
  name: string;
  title: string;
  scale: ScaleName;
  createdAt: string;
  /** The exact setting (sizes, steps, data, evaluation). */
  setting: Record<string, unknown>;
  /** Ours and, where the preprint has one, its value, as machine-readable rows. */
  results: Record<string, unknown>[];
  table: Table;
  preprint: Table | null;
  /** Which of the preprint's findings held, one line each. */
  reading: string[];
  notes: string[];
  /** Plot files (SVG, PNG) relative to the reports folder. */
  plots: string[];
  seconds: number;
}

export const EXPERIMENTS = ["table1", "table2", "fig1", "table3", "table4", "steps"] as const;
export type ExperimentName = (typeof EXPERIMENTS)[number];

const TITLES: Record<ExperimentName, string> = {
  table1: "Table 1 — DataNorm α (configuration 1, Wikipedia, short texts)",
  table2: "Table 2 — normalizations (SphereNorm, BatchNorm, LayerNorm, DataNorm)",
  fig1: "Figure 1 — validation diffusion loss, ROCStories vs Wikipedia (configuration 1)",
  table3: "Table 3 — configurations 1/2/3 vs the two-stage baseline (Wikipedia, longer texts)",
  table4: "Table 4 — XSum summarization, configurations 1/2/3 vs the two-stage baseline",
  steps: "Steps — quality and latency against denoising steps and sampler",
};

export function titleOf(name: ExperimentName): string {
  return TITLES[name];
}

function cell(v: string | number | null): string {
  if (v === null) return "–";
  if (typeof v === "number") return Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 10 ? v.toFixed(2) : v.toFixed(3)) : "–";
  return v;
}

export function markdownTable(t: Table): string {
  return [`| ${t.columns.join(" | ")} |`, `|${t.columns.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`, ...t.rows.map((r) => `| ${r.map(cell).join(" | ")} |`)].join("\n");
}

export function reportMarkdown(r: ExperimentReport): string {
  const out = [`# ${r.title}`, "", `Scale **${r.scale}**${r.scale === "tiny" ? " (a smoke test of the runner: the numbers mean nothing)" : ""}; generated ${r.createdAt} in ${(r.seconds / 60).toFixed(1)} min.`, ""];
  out.push("## Setting", "", "```json", JSON.stringify(r.setting, null, 2), "```", "");
  out.push("## Results (this project)", "", markdownTable(r.table), "");
  if (r.preprint) out.push("## The preprint (METHOD.md §8)", "", markdownTable(r.preprint), "");
  for (const p of r.plots.filter((x) => x.endsWith(".svg"))) out.push(`![${p}](${p})`, "");
  out.push("## Reading", "", ...r.reading.map((l) => `- ${l}`), "");
  if (r.notes.length > 0) out.push("## Notes", "", ...r.notes.map((l) => `- ${l}`), "");
  return out.join("\n");
}

export async function writeReport(dir: string, r: ExperimentReport): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, `${r.name}.json`), `${JSON.stringify(r, null, 2)}\n`);
  await writeFileAtomic(join(dir, `${r.name}.md`), reportMarkdown(r));
  await writeIndex(dir);
}

/** "2 held · 1 did not hold · …" from the bold verdicts of a report's reading ("–" when it has none). */
export function verdictCounts(reading: readonly string[]): string {
  const kinds = ["held", "did not hold", "inconclusive", "could not be checked"] as const;
  const counts = kinds.map((k) => reading.filter((line) => line.includes(`**${k}**`)).length);
  const parts = kinds.map((k, i) => (counts[i] > 0 ? `${counts[i]} ${k}` : "")).filter((x) => x !== "");
  return parts.length > 0 ? parts.join(" · ") : "–";
}

/** `<dir>/README.md`: every experiment with its status, scale and command. */
export async function writeIndex(dir: string): Promise<void> {
  const lines = [
    "# Experiment reports",
    "",
    "Reproductions of the preprint's tables at CPU scale (`npm run experiment -- <name> --scale cpu`), see",
    "`docs/METHOD.md` §8 for the preprint's numbers. PPL, MAUVE and BERTScore use the project's own reference",
    "LM (GPT-2 Large and RoBERTa cannot be obtained offline), so they compare configurations with each other,",
    "not with published values. METEOR has no WordNet synonym stage.",
    "",
    "The last column counts the report's verdicts on the preprint's findings; each report's *Reading* says",
    "which, and why a finding could not be checked at this scale.",
    "",
    "| experiment | report | scale | generated | the preprint's findings here |",
    "|---|---|---|---|---|",
  ];
  for (const name of EXPERIMENTS) {
    const json = join(dir, `${name}.json`);
    if (existsSync(json)) {
      const r = JSON.parse(readFileSync(json, "utf8")) as ExperimentReport;
      lines.push(`| ${TITLES[name]} | [${name}.md](${name}.md) · [${name}.json](${name}.json) | ${r.scale} | ${r.createdAt.slice(0, 16).replace("T", " ")} | ${verdictCounts(r.reading)} |`);
    } else {
      lines.push(`| ${TITLES[name]} | not run yet: \`npm run experiment -- ${name} --scale cpu\` | – | – | – |`);
    }
  }
  lines.push("");
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, "README.md"), lines.join("\n"));
}
