// Runs one experiment end to end and writes its report; every piece it needs is resumable
// (see work.ts), so rerunning the same command after an interruption continues where it stopped.
import { join } from "node:path";
import { EXPERIMENT_BODIES, type ExperimentContext } from "./experiments.ts";
import { type ExperimentName, type ExperimentReport, EXPERIMENTS, titleOf, writeReport } from "./report.ts";
import { SCALE_PRESETS, type Scale, type ScaleName, withOverrides } from "./scale.ts";

export interface RunExperimentOptions {
  name: ExperimentName;
  scale: ScaleName;
  /** Work folder (default runs/experiments/<scale>). */
  workDir?: string;
  /** Reports folder (default reports/ for cpu; runs/experiments/tiny/reports for tiny, so a smoke run never replaces real results). */
  reportsDir?: string;
  artifact?: string;
  /** Overrides of the scale's training steps, batch, evaluation samples and denoising steps. */
  overrides?: Partial<Pick<Scale, "steps" | "batch" | "samples" | "evalSteps">>;
  progress?: boolean;
  log?: (line: string) => void;
}

export function defaultDirs(scale: ScaleName): { workDir: string; reportsDir: string } {
  const workDir = join("runs", "experiments", scale);
  return { workDir, reportsDir: scale === "cpu" ? "reports" : join(workDir, "reports") };
}

export async function runExperiment(o: RunExperimentOptions): Promise<ExperimentReport> {
  if (!EXPERIMENTS.includes(o.name)) throw new Error(`unknown experiment "${String(o.name)}" (one of ${EXPERIMENTS.join(", ")})`);
  const preset = SCALE_PRESETS[o.scale];
  if (!preset) throw new Error(`unknown scale "${String(o.scale)}" (tiny or cpu)`);
  const scale = withOverrides(preset, o.overrides ?? {});
  const dirs = defaultDirs(o.scale);
  const progress = o.progress !== false;
  const ctx: ExperimentContext = {
    dir: o.workDir ?? dirs.workDir,
    reportsDir: o.reportsDir ?? dirs.reportsDir,
    scale,
    progress,
    log: o.log ?? ((l) => (progress ? process.stderr.write(`${l}\n`) : undefined)),
    ...(o.artifact ? { artifact: o.artifact } : {}),
  };
  const t0 = performance.now();
  const body = await EXPERIMENT_BODIES[o.name](ctx);
  const report: ExperimentReport = { name: o.name, title: titleOf(o.name), scale: o.scale, createdAt: new Date().toISOString(), ...body, seconds: (performance.now() - t0) / 1000 };
  await writeReport(ctx.reportsDir, report);
  return report;
}
