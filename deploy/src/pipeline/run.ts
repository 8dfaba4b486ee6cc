// `npm run pipeline`: train → export → verify → evaluate → gate → promote → reload → smoke, then keep
// the new version or roll back — the retrain-redeploy workflow's stages against a models folder and
// a running server on this machine. Each stage's outcome is saved in <run-dir>/pipeline.json, so a
// re-run skips finished stages. Nothing reaches the served models folder before the gate passes;
// a failure after promotion removes the new version, reloads, and checks the previous one serves.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { PRESETS, type PresetName } from "@ldtext/core";
import { DiffusionTextClient } from "@ldtext/sdk";
import { extractMetrics, formatGate, qualityGate } from "../quality-gate.ts";
import { smoke } from "../smoke.ts";
import { findVersion, promoteArtifact, recordedEvaluation, retireVersion } from "./models-dir.ts";
import { createBoard, type StageProgress } from "./progress.ts";
import { loadState, saveState, STAGES, type PipelineState, type StageName } from "./state.ts";
import { lastLines, startTool, type ToolName, type ToolRun } from "./tools.ts";

export interface PipelineOptions {
  preset: PresetName;
  task: "generate" | "summarize";
  /** Training and evaluation data: a dataset name (core's loaders) or a path. */
  data: string;
  steps?: number;
  runDir: string;
  modelsDir: string;
  serverUrl: string;
  /** Inference key for the smoke test (the server's API_KEYS). */
  apiKey?: string;
  /** Admin key for POST /admin/reload (the server's ADMIN_KEYS); without it the server's MODELS_DIR polling must pick the version up. */
  adminKey?: string;
  tolerance: number;
  samples: number;
  evalSteps: number;
  /** Model id (default: the task name, as the workflow names it). */
  model?: string;
  /** Version of the new artifact (default: UTC time of the run's start, YYYY.MM.DD-HHMMSS). */
  version?: string;
  reflm?: string;
  /** Extra flags for `npm run train` (e.g. --val-examples 16). */
  trainArgs?: string[];
  /** Testing knob: the named stage does its work, then fails (exercises the failure paths). */
  failStage?: StageName;
  smokeTimeoutMs?: number;
  repoRoot?: string;
  /** Where the stage list goes (default stderr). */
  out?: NodeJS.WritableStream & { isTTY?: boolean };
}

export type Outcome = "kept" | "rolled-back" | "gate-failed" | "failed";

export interface PipelineResult {
  ok: boolean;
  outcome: Outcome;
  model: string;
  version: string;
  previous: { id: string; version: string } | null;
  runDir: string;
  error?: string;
  /** The signal that stopped the run (a re-run resumes the stage it stopped). */
  interrupted?: string;
  stages: { stage: StageName; status: string; seconds?: number; note?: string }[];
}

const DEFAULT_REPO_ROOT = new URL("../../../", import.meta.url).pathname;
const NAMED_DATA = new Set(["rocstories", "wikipedia", "xsum", "wiki-pairs"]);

class StageFailure extends Error {
  override name = "StageFailure";
}

/** Options the pipeline cannot start with (the CLI exits 2). */
export class PipelineInputError extends Error {
  override name = "PipelineInputError";
}

export function defaultVersion(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${now.getUTCFullYear()}.${p(now.getUTCMonth() + 1)}.${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
}

function trainProgress(logPath: string, totalSteps: number, seen: { step: number; at: number } | null): { p: StageProgress | null; seen: { step: number; at: number } | null } {
  const rec = lastLines(logPath, 8)
    .map((l) => {
      try {
        return JSON.parse(l) as { kind?: string; step?: number; dif?: number };
      } catch {
        return null;
      }
    })
    .filter((r): r is { kind: string; step: number; dif?: number } => r !== null && r.kind === "train" && typeof r.step === "number")
    .pop();
  if (!rec) return { p: null, seen };
  const now = Date.now();
  // The rate is measured from the first step change this run sees: the log may hold an interrupted
  // run's records, and the child's start-up (seconds) is no training speed.
  const first = seen === null ? { step: rec.step, at: Number.NaN } : Number.isNaN(seen.at) && rec.step !== seen.step ? { step: rec.step, at: now } : seen;
  const rate = rec.step > first.step && now > first.at ? (rec.step - first.step) / ((now - first.at) / 1000) : 0;
  const eta = rate > 0 ? (totalSteps - rec.step) / rate : null;
  return { p: { fraction: rec.step / totalSteps, etaSeconds: eta, detail: `step ${rec.step}/${totalSteps}${rec.dif !== undefined ? `, dif ${rec.dif.toFixed(3)}` : ""}` }, seen: first };
}

export async function runPipeline(o: PipelineOptions): Promise<PipelineResult> {
  const repoRoot = o.repoRoot ?? DEFAULT_REPO_ROOT;
  const runDir = resolve(o.runDir);
  const modelsDir = resolve(o.modelsDir);
  // A data path is handed to children that run in the repository root: make it absolute.
  const data = NAMED_DATA.has(o.data) || isAbsolute(o.data) ? o.data : resolve(o.data);
  if (!(o.tolerance >= 0 && o.tolerance < 1)) throw new PipelineInputError(`--tolerance must be in [0, 1), got ${o.tolerance}`);
  if (!existsSync(modelsDir)) throw new PipelineInputError(`--models-dir ${modelsDir} does not exist (it must be the server's MODELS_DIR)`);
  await mkdir(runDir, { recursive: true });
  let state: PipelineState;
  try {
    const given = { preset: o.preset, task: o.task, data, ...(o.steps !== undefined ? { steps: o.steps } : {}), ...(o.model ? { model: o.model } : {}), ...(o.version ? { version: o.version } : {}) };
    state = loadState(runDir, given, { version: o.version ?? defaultVersion(), model: o.model ?? o.task });
  } catch (e) {
    throw new PipelineInputError((e as Error).message);
  }
  const id = state.identity;
  const totalSteps = id.steps ?? PRESETS[id.preset as PresetName].steps;
  const board = createBoard(state, o.out ?? process.stderr);
  const save = () => saveState(runDir, state);
  const client = new DiffusionTextClient({ baseUrl: o.serverUrl, apiKey: o.apiKey, timeoutMs: 30_000, retries: 2 });
  const paths = {
    train: join(runDir, "train"),
    artifact: join(runDir, "artifact"),
    eval: join(runDir, "eval"),
    logs: join(runDir, "logs"),
  };
  let current: ToolRun | null = null;
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (s: NodeJS.Signals) => {
    if (interrupted) process.exit(s === "SIGINT" ? 130 : 143); // a second signal: stop now (the state file says what ran)
    interrupted = s;
    board.note(`${s}: stopping the current stage (a re-run resumes it)`);
    current?.child.kill("SIGTERM");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const tool = async (name: ToolName, args: string[], tick?: () => void): Promise<void> => {
    const log = join(paths.logs, `${name}.log`);
    current = await startTool(repoRoot, name, args, log);
    const timer = tick ? setInterval(tick, 1000) : null;
    try {
      await current.done;
    } finally {
      if (timer) clearInterval(timer);
      current = null;
    }
  };

  /** Runs one stage unless it is done; records its outcome. Returns false when it failed. */
  const stage = async (name: StageName, work: () => Promise<string>): Promise<boolean> => {
    const rec = state.stages[name];
    if (rec.status === "done") {
      board.finish(name, true);
      return true;
    }
    if (interrupted) throw new StageFailure(`interrupted by ${interrupted}`);
    const t0 = Date.now();
    state.stages[name] = { status: "running", startedAt: new Date(t0).toISOString() };
    await save();
    board.start(name);
    try {
      const note = await work();
      if (interrupted) throw new StageFailure(`interrupted by ${interrupted}`);
      if (o.failStage === name) throw new StageFailure(`forced failure (testing knob) after: ${note}`);
      state.stages[name] = { status: "done", startedAt: state.stages[name].startedAt, seconds: (Date.now() - t0) / 1000, note };
      return true;
    } catch (e) {
      const note = interrupted ? `interrupted by ${interrupted as string}; a re-run resumes here` : (e as Error).message;
      state.stages[name] = { status: "failed", startedAt: state.stages[name].startedAt, seconds: (Date.now() - t0) / 1000, note };
      return false;
    } finally {
      await save();
      board.finish(name);
    }
  };

  const result = (outcome: Outcome, error?: string): PipelineResult => {
    state.outcome = outcome;
    return {
      ok: outcome === "kept",
      outcome,
      model: id.model,
      version: id.version,
      previous: state.previous ? { id: state.previous.id, version: state.previous.version } : null,
      runDir,
      ...(error ? { error } : {}),
      ...(interrupted ? { interrupted: interrupted as string } : {}),
      stages: STAGES.map((s) => ({ stage: s, ...state.stages[s] })),
    };
  };

  const servedVersion = async (): Promise<string | null> => {
    const { models } = await client.models({ timeoutMs: 10_000 });
    return models.find((m) => m.id === id.model)?.version ?? null;
  };

  /** Asks the server to rescan; `expect` = the version of our model it must serve afterwards. */
  const reload = async (expect?: string): Promise<string> => {
    if (!o.adminKey) return "no admin key: left to the server's MODEL_POLL_MS scan";
    const res = await fetch(new URL("/admin/reload", o.serverUrl), { method: "POST", headers: { authorization: `Bearer ${o.adminKey}` }, signal: AbortSignal.timeout(300_000) });
    const text = await res.text();
    if (res.status === 422) throw new StageFailure(`the server refused a version: ${text}`);
    if (res.status !== 200) throw new StageFailure(`POST /admin/reload answered ${res.status}: ${text.slice(0, 300)}`);
    const report = JSON.parse(text) as { loaded: { id: string; version: string }[]; unchanged: { id: string; version: string }[] };
    const mine = [...report.loaded, ...report.unchanged].find((m) => m.id === id.model);
    if (expect !== undefined && mine?.version !== expect) throw new StageFailure(`the server serves ${id.model}@${mine?.version ?? "nothing"} after the reload, not ${expect}`);
    return mine ? `${id.model}@${mine.version} after reload` : "reloaded";
  };

  let failure: string | null = null;
  try {
    const steps: [StageName, () => Promise<string>][] = [
      [
        "train",
        async () => {
          const resume = existsSync(join(paths.train, "checkpoint", "checkpoint.json"));
          const args = ["--preset", id.preset, "--task", id.task, "--data", id.data, "--out", paths.train, "--no-progress", ...(id.steps !== null ? ["--steps", String(id.steps)] : []), ...(resume ? ["--resume"] : []), ...(o.trainArgs ?? [])];
          let seen: { step: number; at: number } | null = null;
          await tool("train", args, () => {
            const r = trainProgress(join(paths.train, "log.jsonl"), totalSteps, seen);
            seen = r.seen;
            board.progress(r.p);
          });
          const summary = JSON.parse(readFileSync(join(paths.train, "summary.json"), "utf8")) as { steps?: number; stopped?: string };
          if (summary.stopped !== "done") throw new StageFailure(`training stopped (${summary.stopped}); a re-run resumes it`);
          return `${summary.steps} steps${resume ? " (resumed)" : ""}`;
        },
      ],
      [
        "export",
        async () => {
          await tool("export", ["--checkpoint", join(paths.train, "checkpoint"), "--out", paths.artifact, "--name", id.model, "--version", id.version, "--force"]);
          return `${id.model}@${id.version}`;
        },
      ],
      [
        "verify",
        async () => {
          await tool("verify", [paths.artifact]);
          const line = lastLines(join(paths.logs, "verify.log"), 50).find((l) => l.startsWith("{"));
          const report = line ? (JSON.parse(line) as { ok?: boolean; graphs?: Record<string, { maxAbsErr?: number }> }) : null;
          if (!report?.ok) throw new StageFailure("export:verify did not report ok");
          const worst = Math.max(...Object.values(report.graphs ?? {}).map((g) => g.maxAbsErr ?? 0));
          return `parity ok (max abs err ${worst.toExponential(1)})`;
        },
      ],
      [
        "evaluate",
        async () => {
          const args = ["--artifact", paths.artifact, "--data", id.data, "--samples", String(o.samples), "--steps", String(o.evalSteps), "--seed", "0", "--out", paths.eval, "--cache-dir", join(runDir, "cache"), "--no-progress", ...(o.reflm ? ["--reflm", resolve(o.reflm)] : [])];
          await tool("evaluate", args);
          const metrics = extractMetrics(JSON.parse(readFileSync(join(paths.eval, "result.json"), "utf8")));
          const gated = qualityGate(metrics, metrics, { tolerance: 0 }).verdicts;
          return gated.map((v) => `${v.metric.split(".").slice(1).join(".")} ${Number(v.baseline.toFixed(4))}`).join(", ") || "no gated metric";
        },
      ],
      [
        "gate",
        async () => {
          const candidate = extractMetrics(JSON.parse(readFileSync(join(paths.eval, "result.json"), "utf8")));
          const served = await servedVersion().catch((e: unknown) => {
            throw new StageFailure(`cannot ask ${o.serverUrl} what it serves: ${(e as Error).message}`);
          });
          if (served === id.version) throw new StageFailure(`${id.model}@${id.version} is already serving`);
          if (served === null) {
            state.previous = null;
            return `no ${id.model} serving yet: first deployment, nothing to compare`;
          }
          const folder = await findVersion(modelsDir, id.model, served);
          if (!folder) throw new StageFailure(`the server serves ${id.model}@${served} but ${modelsDir} has no such version folder: is --models-dir the server's MODELS_DIR?`);
          state.previous = { id: id.model, version: served, dir: folder.dir };
          const recorded = await recordedEvaluation(folder.dir);
          if (!recorded) return `${id.model}@${served} has no recorded scores: nothing to compare`;
          const differs = (["samples", "steps", "data"] as const).filter((k) => recorded[`eval.${k}`] !== undefined && recorded[`eval.${k}`] !== { samples: o.samples, steps: o.evalSteps, data: id.data }[k]);
          if (differs.length > 0) {
            board.note(`warning: ${id.model}@${served} was evaluated with other ${differs.join(", ")} (${differs.map((k) => `${k} ${String(recorded[`eval.${k}`])}`).join(", ")}); the scores may not be comparable`);
          }
          const verdict = qualityGate(candidate, extractMetrics(recorded), { tolerance: o.tolerance });
          await writeFile(join(runDir, "gate.md"), `${formatGate(verdict)}\n`);
          board.note(formatGate(verdict));
          if (!verdict.pass) throw new StageFailure(`worse than ${id.model}@${served}: ${verdict.reason}`);
          return `vs ${id.model}@${served}: ${verdict.reason}`;
        },
      ],
    ];
    for (const [name, work] of steps) {
      if (!(await stage(name, work))) {
        failure = state.stages[name].note ?? name;
        const outcome = name === "gate" ? "gate-failed" : "failed";
        board.note(`${name} failed: ${failure}${!interrupted && existsSync(join(paths.logs, `${name}.log`)) ? `\n  log: ${join(paths.logs, `${name}.log`)}\n  ${lastLines(join(paths.logs, `${name}.log`), 8).join("\n  ")}` : ""}`);
        board.note(`nothing was installed: ${state.previous ? `${id.model}@${state.previous.version}` : "the served model"} is untouched`);
        return result(outcome, failure);
      }
    }

    // From here on the served folder changes; any failure rolls back.
    if (state.stages.promote.status !== "done") state.stages.rollback = { status: "pending" };
    const deployed =
      (await stage("promote", async () => {
        const recordedScores: Record<string, number | string> = {};
        const resultJson = JSON.parse(readFileSync(join(paths.eval, "result.json"), "utf8")) as unknown;
        const metrics = extractMetrics(resultJson);
        for (const v of qualityGate(metrics, metrics, { tolerance: 0 }).verdicts) recordedScores[v.metric] = v.candidate!;
        Object.assign(recordedScores, { "eval.data": id.data, "eval.samples": o.samples, "eval.steps": o.evalSteps, "eval.seed": 0, "eval.at": new Date().toISOString() });
        const r = await promoteArtifact(paths.artifact, modelsDir, recordedScores);
        state.promotedDir = r.dir;
        return `${r.dir}${r.alreadyThere ? " (already there)" : ""}`;
      })) &&
      (await stage("reload", () => reload(id.version))) &&
      (await stage("smoke", async () => {
        const r = await smoke({ url: o.serverUrl, model: id.model, task: id.task, expectVersion: id.version, apiKey: o.apiKey, timeoutMs: o.smokeTimeoutMs ?? 120_000, pollMs: 500 });
        return `${r.model}@${r.version} answered (${r.texts} text, ${r.inferenceMs.toFixed(0)} ms)`;
      }));
    if (deployed) {
      if (state.stages.rollback.status !== "done") state.stages.rollback = { status: "skipped", note: "new version kept" };
      board.finish("rollback");
      await save();
      return result("kept");
    }
    const failedStage = (["promote", "reload", "smoke"] as const).find((s) => state.stages[s].status === "failed")!;
    failure = `${failedStage}: ${state.stages[failedStage].note}`;
    if (interrupted) return result("failed", failure);
    state.stages.rollback = { status: "pending" };
    const rolledBack = await stage("rollback", async () => {
      const removed = state.promotedDir ? await retireVersion(state.promotedDir) : false;
      state.promotedDir = null;
      for (const s of ["promote", "reload", "smoke"] as const) if (state.stages[s].status === "done") state.stages[s] = { ...state.stages[s], status: "undone" };
      await save();
      const prev = state.previous;
      if (!prev) return `${removed ? "new version removed" : "nothing installed"}; no previous version to return to`;
      if (!prev.dir) throw new StageFailure("the previous version's folder is unknown");
      // The server falls back to the newest version left once the serving folder is gone (its
      // registry handles rollbacks); without an admin key its MODEL_POLL_MS scan does, and the smoke
      // test below waits for the previous version.
      await reload(prev.version);
      const r = await smoke({ url: o.serverUrl, model: id.model, task: id.task, expectVersion: prev.version, apiKey: o.apiKey, timeoutMs: o.smokeTimeoutMs ?? 120_000, pollMs: 500 });
      return `${removed ? "new version removed; " : ""}${r.model}@${r.version} serving again`;
    });
    if (!rolledBack) {
      board.note(`ROLLBACK FAILED: ${state.stages.rollback.note}; check what ${o.serverUrl} serves`);
      return result("failed", `${failure}; rollback failed: ${state.stages.rollback.note}`);
    }
    return result("rolled-back", failure);
  } catch (e) {
    return result("failed", (e as Error).message);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await save().catch(() => undefined);
    board.close();
  }
}
