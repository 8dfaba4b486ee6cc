// npx tsx deploy/src/cli/quality-gate.ts --candidate <eval.json> [--baseline <eval.json>]
//   [--tolerance 0.02] [--higher name,…] [--lower name,…] [--allow-missing-baseline]
// Prints the verdict JSON on stdout, a table on stderr; exit 0 = pass, 1 = worse, 2 = bad input.
// Without a baseline file (no model deployed yet) it fails unless --allow-missing-baseline.
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { extractMetrics, formatGate, GateInputError, qualityGate, type Direction } from "../quality-gate.ts";

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new GateInputError(`${path}: ${(err as Error).message}`);
  }
}

function main(): number {
  const { values } = parseArgs({
    options: {
      candidate: { type: "string" },
      baseline: { type: "string" },
      tolerance: { type: "string", default: "0.02" },
      higher: { type: "string", default: "" },
      lower: { type: "string", default: "" },
      "allow-missing-baseline": { type: "boolean", default: false },
    },
  });
  if (values.candidate === undefined) throw new GateInputError("--candidate <eval.json> is required");
  const tolerance = Number(values.tolerance);
  const directions: Record<string, Direction> = {};
  for (const m of values.higher.split(",").filter(Boolean)) directions[m] = "higher";
  for (const m of values.lower.split(",").filter(Boolean)) directions[m] = "lower";
  const candidate = extractMetrics(readJson(values.candidate));
  if (values.baseline === undefined || !existsSync(values.baseline)) {
    const ok = values["allow-missing-baseline"];
    const reason = `no deployed model scores${values.baseline ? ` at ${values.baseline}` : ""}`;
    console.log(JSON.stringify({ pass: ok, reason, verdicts: [] }));
    console.error(`${ok ? "PASS" : "FAIL"}: ${reason}${ok ? " (first deployment allowed)" : ""}`);
    return ok ? 0 : 1;
  }
  const result = qualityGate(candidate, extractMetrics(readJson(values.baseline)), { tolerance, directions });
  console.log(JSON.stringify(result));
  console.error(formatGate(result));
  return result.pass ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(err instanceof GateInputError ? `quality gate: ${err.message}` : err);
  process.exitCode = 2;
}
