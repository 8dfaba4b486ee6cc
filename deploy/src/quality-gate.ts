// The quality gate of retrain → redeploy. `qualityGate`: a candidate model's evaluation scores against
// those of the model that serves its task now; fails when any shared metric is worse beyond a
// relative tolerance, or when a metric the served model was judged on is missing. `judge`: that
// comparison plus the absolute floors of ./floors.ts, which also hold for a first deployment.
//
// Div and Mem of generated stories are judged by their distance to the same statistic of the real
// texts (`referenceTexts.div` / `.mem` in the evaluation) when the evaluation has it: real stories
// have Div 0.59 and Mem 0.24, and a model that invents words scores Div 0.71 and Mem 0.04 — "higher
// Div, lower Mem is better" would reward exactly that. Without the reference value they keep the
// plain direction.
import { checkFloors, type EvalEvidence, type FloorVerdict, type Floors } from "./floors.ts";

export type Direction = "higher" | "lower";
/** How a verdict judged: a Direction, or "closer" to the real texts' value of the same statistic. */
export type Judged = Direction | "closer";

/** Which way is better for the metrics the evaluation writes (matched case-insensitively by name). */
export const DEFAULT_DIRECTIONS: Record<string, Direction> = {
  mauve: "higher",
  div: "higher",
  diversity: "higher",
  rouge1: "higher",
  rouge2: "higher",
  rougel: "higher",
  bleu: "higher",
  meteor: "higher",
  bertscore: "higher",
  mem: "lower",
  memorization: "lower",
  perplexity: "lower",
  ppl: "lower",
  loss: "lower",
  nll: "lower",
};

export interface GateOptions {
  /** Relative slack: 0.02 lets a metric be 2 % worse than the deployed model's. */
  tolerance: number;
  directions?: Record<string, Direction>;
}

export interface MetricVerdict {
  metric: string;
  direction: Judged;
  /** With direction "closer": the real texts' value the distance is measured to. */
  reference?: number;
  baseline: number;
  candidate: number | null;
  /** Signed relative change in the "better" direction (positive = better). */
  relativeChange: number | null;
  pass: boolean;
}

export interface GateResult {
  pass: boolean;
  verdicts: MetricVerdict[];
  reason: string;
}

export class GateInputError extends Error {
  override name = "GateInputError";
}

/**
 * Numeric metrics from an evaluation JSON: its `metrics` object when present, otherwise its
 * top-level numbers; nested objects are flattened with dots (e.g. `rouge.rougeL`).
 */
export function extractMetrics(evaluation: unknown): Record<string, number> {
  if (evaluation === null || typeof evaluation !== "object" || Array.isArray(evaluation)) {
    throw new GateInputError("an evaluation must be a JSON object");
  }
  const source = (evaluation as Record<string, unknown>).metrics ?? evaluation;
  const out: Record<string, number> = {};
  const walk = (v: unknown, prefix: string) => {
    if (typeof v === "number" && Number.isFinite(v)) out[prefix] = v;
    else if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      for (const [k, child] of Object.entries(v)) walk(child, prefix === "" ? k : `${prefix}.${k}`);
    }
  };
  walk(source, "");
  return out;
}

// Quality metrics inside `npm run eval`'s result.json (evaluation/src/run/evaluate.ts), by path.
// Everything else there (counts, timings, config, PPL, entropy) is reported, not gated: PPL of
// samples rewards repetition, so it is no quality gate on its own.
const PATH_RULES: [RegExp, Direction][] = [
  [/(^|\.)mauve\.mauve$/i, "higher"],
  [/(^|\.)div\.div$/i, "higher"],
  [/(^|\.)mem\.mem$/i, "lower"],
  [/(^|\.)rouge\.(plain|stemmed)\.rouge(1|2|l|lsum)\.fmeasure$/i, "higher"],
  [/(^|\.)bleu\.bleu$/i, "higher"],
  [/(^|\.)summarization\.meteor$/i, "higher"],
  [/(^|\.)bertscore\.f1$/i, "higher"],
];

// Statistics that real text has a value of, by path, and where the evaluation writes that value.
const REFERENCE_RULES: [RegExp, string][] = [
  [/(^|\.)div\.div$/i, "referenceTexts.div"],
  [/(^|\.)mem\.mem$/i, "referenceTexts.mem"],
];

/**
 * The real texts' value for `metric`: from the served model's scores (they define the distance the
 * candidate must not exceed; both are taken with the same evaluation settings), else the candidate's.
 */
function referenceOf(metric: string, candidate: Record<string, number>, baseline: Record<string, number>): number | undefined {
  for (const [re, leaf] of REFERENCE_RULES) {
    const m = re.exec(metric);
    if (!m) continue;
    const key = `${metric.slice(0, m.index)}${m[1]}${leaf}`;
    return baseline[key] ?? candidate[key];
  }
  return undefined;
}

function directionOf(metric: string, directions: Record<string, Direction>): Direction | undefined {
  const explicit = directions[metric] ?? directions[metric.toLowerCase()];
  if (explicit !== undefined) return explicit;
  for (const [re, dir] of PATH_RULES) if (re.test(metric)) return dir;
  // Flat files ({"mauve": 0.8} or {"metrics": {"rougeL": 0.3}}): a known name at the top level.
  if (!metric.includes(".")) return directions[metric.toLowerCase().replace(/[^a-z0-9]/g, "")];
  return undefined;
}

export function qualityGate(candidate: Record<string, number>, baseline: Record<string, number>, options: GateOptions): GateResult {
  if (!(options.tolerance >= 0 && options.tolerance < 1)) throw new GateInputError(`tolerance must be in [0, 1), got ${options.tolerance}`);
  const directions = { ...DEFAULT_DIRECTIONS, ...options.directions };
  const verdicts: MetricVerdict[] = [];
  for (const [metric, base] of Object.entries(baseline)) {
    const direction = directionOf(metric, directions);
    if (direction === undefined) continue; // not a quality metric (counts, timings, seeds)
    const cand = metric in candidate ? candidate[metric] : null;
    if (cand === null) {
      verdicts.push({ metric, direction, baseline: base, candidate: null, relativeChange: null, pass: false });
      continue;
    }
    const reference = options.directions?.[metric] === undefined ? referenceOf(metric, candidate, baseline) : undefined;
    if (reference !== undefined) {
      // Change of the distance to real text, relative to real text's value.
      const relativeChange = (Math.abs(base - reference) - Math.abs(cand - reference)) / Math.max(Math.abs(reference), 1e-12);
      verdicts.push({ metric, direction: "closer", reference, baseline: base, candidate: cand, relativeChange, pass: relativeChange >= -options.tolerance });
      continue;
    }
    const scale = Math.max(Math.abs(base), 1e-12);
    const better = direction === "higher" ? cand - base : base - cand;
    const relativeChange = better / scale;
    verdicts.push({ metric, direction, baseline: base, candidate: cand, relativeChange, pass: relativeChange >= -options.tolerance });
  }
  if (verdicts.length === 0) {
    return { pass: false, verdicts, reason: "no quality metric in common with the deployed model's scores" };
  }
  const failed = verdicts.filter((v) => !v.pass);
  const reason =
    failed.length === 0
      ? `all ${verdicts.length} metrics within ${(options.tolerance * 100).toFixed(1)} % of the deployed model or better`
      : failed
          .map((v) =>
            v.candidate === null
              ? `${v.metric}: missing from the candidate`
              : `${v.metric}: ${v.candidate} vs deployed ${v.baseline} (${(v.relativeChange! * 100).toFixed(2)} %, ${betterText(v)})`,
          )
          .join("; ");
  return { pass: failed.length === 0, verdicts, reason };
}

function betterText(v: MetricVerdict): string {
  return v.direction === "closer" ? `closer to real text's ${fmt(v.reference ?? Number.NaN)} is better` : `${v.direction} is better`;
}

/** Human table of the verdicts. */
export function formatGate(result: GateResult): string {
  const rows = result.verdicts.map((v) =>
    [v.metric, betterText(v), String(v.baseline), v.candidate === null ? "—" : String(v.candidate), v.relativeChange === null ? "—" : `${(v.relativeChange * 100).toFixed(2)} %`, v.pass ? "ok" : "WORSE"].join(" | "),
  );
  return ["metric | better | deployed | candidate | change | verdict", "---|---|---|---|---|---", ...rows, "", `${result.pass ? "PASS" : "FAIL"}: ${result.reason}`].join("\n");
}

// ——— The whole gate: absolute floors on the candidate + comparison with what serves the task now ———

/** What serves the candidate's task now, with the scores it is compared on (null: first deployment). */
export interface ServedScores {
  /** `id@version` */
  label: string;
  metrics: Record<string, number>;
  /** Where the scores come from (recorded in its manifest, or evaluated now with the candidate's settings). */
  source: string;
}

export interface JudgeInput {
  candidate: EvalEvidence;
  floors: Floors;
  /** The training corpus's words (the invented-word floor; skipped without). */
  vocabulary?: ReadonlySet<string>;
  served: ServedScores | null;
  tolerance: number;
  directions?: Record<string, Direction>;
}

export interface Judgement {
  pass: boolean;
  floors: FloorVerdict[];
  /** null for a first deployment. */
  comparison: GateResult | null;
  served: { label: string; source: string } | null;
  reason: string;
}

/** The redeploy gate: every floor must hold and, when a model serves the task, no metric may be worse beyond the tolerance. */
export function judge(i: JudgeInput): Judgement {
  const floors = checkFloors(i.candidate, i.floors, i.vocabulary);
  const comparison = i.served ? qualityGate(extractMetrics(i.candidate.result), i.served.metrics, { tolerance: i.tolerance, directions: i.directions }) : null;
  const failedFloors = floors.filter((f) => f.status === "FAIL");
  const reasons = failedFloors.map((f) => `${f.floor} ${fmt(f.value)} ${f.bound === "min" ? "<" : ">"} ${f.bound} ${f.threshold}`);
  if (comparison && !comparison.pass) reasons.push(`vs ${i.served!.label}: ${comparison.reason}`);
  const pass = failedFloors.length === 0 && (comparison === null || comparison.pass);
  const ok = `${floors.filter((f) => f.status === "ok").length} floors hold${floors.some((f) => f.status === "skipped") ? ` (${floors.filter((f) => f.status === "skipped").map((f) => f.floor).join(", ")} skipped)` : ""}; ${comparison ? `vs ${i.served!.label}: ${comparison.reason}` : "first deployment: no model serves the task, nothing to compare"}`;
  return { pass, floors, comparison, served: i.served ? { label: i.served.label, source: i.served.source } : null, reason: pass ? ok : reasons.join("; ") };
}

function fmt(v: number | null): string {
  if (v === null) return "—";
  return Math.abs(v) >= 100 ? v.toFixed(1) : String(Number(v.toPrecision(4)));
}

/** Markdown verdict table (floors, then the comparison), and the outcome line. */
export function formatJudgement(j: Judgement): string {
  const rows = [
    "| check | rule | served | candidate | verdict |",
    "|---|---|---|---|---|",
    ...j.floors.map((f) => `| floor: ${f.floor} | ${f.bound === "min" ? "≥" : "≤"} ${f.threshold} | | ${fmt(f.value)} | ${f.status}${f.note ? ` (${f.note})` : ""} |`),
    ...(j.comparison?.verdicts ?? []).map(
      (v) => `| ${v.metric} | ${betterText(v)} | ${fmt(v.baseline)} | ${fmt(v.candidate)} | ${v.pass ? "ok" : "WORSE"}${v.relativeChange === null ? " (missing)" : ` (${(v.relativeChange * 100).toFixed(2)} %)`} |`,
    ),
  ];
  const head = j.served ? `Compared with ${j.served.label} (${j.served.source}).` : "First deployment: no model serves this task; only the floors apply.";
  return [head, "", ...rows, "", `**${j.pass ? "PASS" : "FAIL"}**: ${j.reason}`].join("\n");
}
