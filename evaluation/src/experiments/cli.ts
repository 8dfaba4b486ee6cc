// `npm run experiment -- <table1|table2|fig1|table3|table4|steps|all> [--scale tiny|cpu] [--artifact <dir>] [--work <dir>] [--reports <dir>]`
// Trains, exports, evaluates and reports one of the preprint's experiments (resumable: rerun the same
// command after an interruption). `--scale tiny` is a one-minute smoke test of the runner.
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { EXPERIMENTS, type ExperimentName, markdownTable, writeIndex } from "./report.ts";
import { SCALES, type Scale, type ScaleName } from "./scale.ts";
import { defaultDirs, runExperiment } from "./run.ts";

const USAGE = `usage: npm run experiment -- <${EXPERIMENTS.join("|")}|all> [options]
       npm run experiment -- index [--scale tiny|cpu] [--reports <dir>]   (rewrite the reports index only)

  --scale tiny|cpu     tiny: ~1 minute smoke test (meaningless numbers); cpu: the real CPU-scale setting (default cpu)
  --steps N --batch B  training steps / batch per run (default from the scale; runs are keyed by them)
  --samples N --eval-steps S   evaluation samples / denoising steps (default from the scale)
  --artifact <dir>     steps: the generate artifact to sweep (default: the shipped model under models/)
  --work <dir>         runs, checkpoints, artifacts, evaluations (default runs/experiments/<scale>)
  --reports <dir>      report folder (default reports/ for cpu, runs/experiments/tiny/reports for tiny)
  --no-progress
Finished pieces (trained runs, artifacts, reference LMs, evaluations) are found by their result files and skipped.
`;

export function parseExperimentArgs(argv: string[]): { names: ExperimentName[]; indexOnly: boolean; scale: ScaleName; overrides: Partial<Pick<Scale, "steps" | "batch" | "samples" | "evalSteps">>; artifact?: string; work?: string; reports?: string; progress: boolean } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { scale: { type: "string" }, steps: { type: "string" }, batch: { type: "string" }, samples: { type: "string" }, "eval-steps": { type: "string" }, artifact: { type: "string" }, work: { type: "string" }, reports: { type: "string" }, "no-progress": { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (positionals.length !== 1) throw new Error("name one experiment (or all)");
  const name = positionals[0];
  if (name !== "all" && name !== "index" && !(EXPERIMENTS as readonly string[]).includes(name)) throw new Error(`unknown experiment "${name}" (one of ${EXPERIMENTS.join(", ")}, all)`);
  const scale = (values.scale ?? "cpu") as ScaleName;
  if (!SCALES.includes(scale)) throw new Error(`--scale must be tiny or cpu, got "${scale}"`);
  const overrides: Partial<Pick<Scale, "steps" | "batch" | "samples" | "evalSteps">> = {};
  for (const [flag, key] of [["steps", "steps"], ["batch", "batch"], ["samples", "samples"], ["eval-steps", "evalSteps"]] as const) {
    const raw = (values as Record<string, string | boolean | undefined>)[flag];
    if (raw === undefined) continue;
    const x = Number(raw);
    if (typeof raw !== "string" || !Number.isInteger(x) || x < 1) throw new Error(`--${flag} needs a positive integer, got "${String(raw)}"`);
    overrides[key] = x;
  }
  return {
    overrides,
    names: name === "all" ? [...EXPERIMENTS] : name === "index" ? [] : [name as ExperimentName],
    indexOnly: name === "index",
    scale,
    progress: !values["no-progress"],
    ...(values.artifact ? { artifact: values.artifact } : {}),
    ...(values.work ? { work: values.work } : {}),
    ...(values.reports ? { reports: values.reports } : {}),
  };
}

async function main(): Promise<void> {
  let a: ReturnType<typeof parseExperimentArgs>;
  try {
    a = parseExperimentArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (a.indexOnly) {
    const dir = a.reports ?? defaultDirs(a.scale).reportsDir;
    await writeIndex(dir);
    process.stdout.write(`written: ${dir}/README.md\n`);
    return;
  }
  for (const name of a.names) {
    const r = await runExperiment({ name, scale: a.scale, overrides: a.overrides, artifact: a.artifact, workDir: a.work, reportsDir: a.reports, progress: a.progress });
    const dir = a.reports ?? defaultDirs(a.scale).reportsDir;
    process.stdout.write(`\n# ${r.title} (${r.scale})\n\n${markdownTable(r.table)}\n\n${r.reading.map((l) => `- ${l}`).join("\n")}\n\nwritten: ${dir}/${name}.json, ${dir}/${name}.md\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env.DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exit(1);
  });
}
