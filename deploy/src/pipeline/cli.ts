// npm run pipeline -- --preset tiny|mini|small|base [--task generate|summarize] --data <name|path>
//   [--steps N] [--run-dir DIR] [--models-dir DIR] [--server-url URL] [--api-key K] [--admin-key K]
//   [--tolerance 0.02] [--samples N] [--eval-steps N] [--model ID] [--version V] [--reflm DIR]
//   [--train-arg=--flag …] [--force-gate-fail | --fail-stage STAGE]
// The stage list goes to stderr, one JSON line with the outcome to stdout. Exit 0 = the new version
// serves; 1 = a stage failed (served model untouched, or rolled back); 2 = bad options;
// 130/143 = stopped by SIGINT/SIGTERM (a running training writes its checkpoint; a re-run resumes).
import { runPipeline, PipelineInputError, type PipelineOptions, type PipelineResult } from "./run.ts";
import { parsePipelineArgs, USAGE } from "./args.ts";

function after(r: PipelineResult): string {
  if (r.outcome !== "rolled-back") return "the served model was not changed";
  return r.previous ? `${r.model}@${r.previous.version} is serving again` : "the new version was removed";
}

async function main(): Promise<number> {
  let options: PipelineOptions;
  try {
    options = parsePipelineArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  try {
    const r = await runPipeline(options);
    process.stdout.write(`${JSON.stringify(r)}\n`);
    process.stderr.write(
      r.ok
        ? `\n${r.model}@${r.version} is serving (previous: ${r.previous ? `${r.previous.id}@${r.previous.version}` : "none"})${r.previous && r.previous.id !== r.model ? `; a new model id: it answers requests naming it, ${r.previous.id} still answers requests naming no model (set the server's DEFAULT_MODELS to change that)` : ""}; run folder ${r.runDir}\n`
        : `\npipeline ${r.outcome}: ${r.error}\n${after(r)}; re-run the same command to resume (state: ${r.runDir}/pipeline.json)\n`,
    );
    return r.ok ? 0 : r.interrupted === "SIGINT" ? 130 : r.interrupted === "SIGTERM" ? 143 : 1;
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    return e instanceof PipelineInputError ? 2 : 1;
  }
}

process.exitCode = await main();
