// npx tsx deploy/src/cli/quality-gate.ts --candidate <eval folder | result.json>
//   [--baseline <eval folder | result.json | manifest.json of the served version>] [--served-label id@version]
//   [--first-deployment] [--data <training corpus: rocstories|xsum|path>] [--tolerance 0.02]
//   [--floor name=value|off …] [--higher name,…] [--lower name,…] [--summary FILE]
// The redeploy gate (../quality-gate.ts `judge`): the candidate's floors (../floors.ts; they need the
// evaluation's samples.jsonl beside result.json) and, with a baseline, no metric worse than the served
// model's beyond the tolerance. Without a baseline it fails unless --first-deployment (the floors
// still apply). Prints the verdict JSON on stdout and the verdict table (markdown) on stderr, and
// appends the table to --summary (e.g. $GITHUB_STEP_SUMMARY). Exit 0 = pass, 1 = refused, 2 = bad input.
import { appendFileSync, existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { corpusVocabulary, FloorInputError, parseFloors, readEvaluation } from "../floors.ts";
import { extractMetrics, formatJudgement, GateInputError, judge, type Direction } from "../quality-gate.ts";

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new GateInputError(`${path}: ${(err as Error).message}`);
  }
}

/** The served model's scores: an evaluation's result.json (or its folder), or a manifest's recorded `evaluation`. */
function baselineMetrics(path: string): Record<string, number> {
  const file = statSync(path).isDirectory() ? join(path, "result.json") : path;
  const json = readJson(file) as Record<string, unknown>;
  if (json !== null && typeof json === "object" && "graphs" in json) {
    if (json.evaluation === undefined) throw new GateInputError(`${file}: the manifest records no evaluation; evaluate the served version instead`);
    return extractMetrics(json.evaluation);
  }
  return extractMetrics(json);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      candidate: { type: "string" },
      baseline: { type: "string" },
      "served-label": { type: "string" },
      data: { type: "string" },
      tolerance: { type: "string", default: "0.02" },
      floor: { type: "string", multiple: true, default: [] },
      higher: { type: "string", default: "" },
      lower: { type: "string", default: "" },
      summary: { type: "string" },
      "first-deployment": { type: "boolean", default: false },
      "allow-missing-baseline": { type: "boolean", default: false },
    },
  });
  if (values.candidate === undefined) throw new GateInputError("--candidate <eval folder or result.json> is required");
  const tolerance = Number(values.tolerance);
  if (!(tolerance >= 0 && tolerance < 1)) throw new GateInputError(`--tolerance must be in [0, 1), got "${values.tolerance}"`);
  const directions: Record<string, Direction> = {};
  for (const m of values.higher.split(",").filter(Boolean)) directions[m] = "higher";
  for (const m of values.lower.split(",").filter(Boolean)) directions[m] = "lower";
  const floors = parseFloors(values.floor);
  const candidate = readEvaluation(values.candidate);
  const firstOk = values["first-deployment"] || values["allow-missing-baseline"];
  const hasBaseline = values.baseline !== undefined && existsSync(values.baseline);
  const vocabulary = values.data !== undefined && candidate.task === "generate" ? await corpusVocabulary(values.data) : undefined;
  const j = judge({
    candidate,
    floors,
    vocabulary,
    tolerance,
    directions,
    served: hasBaseline ? { label: values["served-label"] ?? "the served model", metrics: baselineMetrics(values.baseline!), source: values.baseline! } : null,
  });
  let pass = j.pass;
  let reason = j.reason;
  if (!hasBaseline && !firstOk) {
    pass = false;
    reason = `no scores of the served model${values.baseline ? ` at ${values.baseline}` : ""} (pass --first-deployment when nothing serves the task); ${j.reason}`;
  }
  const table = formatJudgement({ ...j, pass, reason });
  console.log(JSON.stringify({ ...j, pass, reason }));
  console.error(table);
  if (values.summary) appendFileSync(values.summary, `## Quality gate\n\n${table}\n`);
  return pass ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (err) {
  console.error(err instanceof GateInputError || err instanceof FloorInputError ? `quality gate: ${err.message}` : err);
  process.exitCode = 2;
}
