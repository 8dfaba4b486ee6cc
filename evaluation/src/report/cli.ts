// npm run report:quality -- <eval result.json> [--recipe "<text>"] [--hours H] [--flops F] [--out reports/quality-vs-compute]
// Adds (or replaces) the row of each evaluated artifact in reports/quality-vs-compute.{json,md,svg,png}:
// generate results in the generate table (key model@version + reference LM), summarize results in the
// Summarizers table (key model@version + guidance). Hours and FLOPs come from the artifact's manifest
// (its training record, either task) unless given (artifacts older than the FLOPs count).
import { parseArgs } from "node:util";
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import type { EvalResult } from "../run/evaluate.ts";
import { anyRowFromEval, computeOf, mergeRows, mergeSummaryRows, readQualityReport, writeQualityReport, type QualityRow, type SummaryQualityRow } from "./quality-vs-compute.ts";

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { recipe: { type: "string" }, hours: { type: "string" }, flops: { type: "string" }, out: { type: "string" } },
  });
  if (positionals.length === 0) throw new Error("usage: npm run report:quality -- <eval result.json> … [--recipe TEXT] [--hours H] [--flops F] [--out reports/quality-vs-compute]");
  const out = values.out ?? "reports/quality-vs-compute";
  const rep = await readQualityReport(`${out}.json`);
  const rows: QualityRow[] = [];
  const summarizers: SummaryQualityRow[] = [];
  for (const p of positionals) {
    const r = JSON.parse(await readFile(p, "utf8")) as EvalResult;
    const c = await computeOf(r.config.artifact);
    const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
    const row = anyRowFromEval(r, { trainingHours: num(values.hours) ?? c.hours, trainingFlops: num(values.flops) ?? c.flops, recipe: values.recipe ?? c.command });
    if (row.task === "summarize") summarizers.push(row);
    else rows.push(row);
  }
  const merged = { ...rep, rows: mergeRows(rep.rows, rows), summarizers: mergeSummaryRows(rep.summarizers ?? [], summarizers) };
  await writeQualityReport(out, merged);
  process.stdout.write(
    `${JSON.stringify({
      out: `${out}.md`,
      rows: merged.rows.map((r) => ({ model: `${r.model}@${r.version}`, hours: r.trainingHours, pplRatio: r.pplRatio, unknownWordRate: r.unknownWordRate })),
      summarizers: merged.summarizers.map((r) => ({ model: `${r.model}@${r.version}`, guidance: r.guidance, hours: r.trainingHours, rougeL: r.rougeL, rougeLDependence: r.rougeLDependence, verdict: r.verdict })),
    })}\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
