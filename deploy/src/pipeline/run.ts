// `npm run pipeline`: train → export → verify → evaluate → gate → promote → reload → smoke, then keep
// the new version or roll back — the retrain-redeploy workflow's stages against a models folder and
// a running server on this machine. Each stage's outcome is saved in <run-dir>/pipeline.json, so a
// re-run skips finished stages. Nothing reaches the served models folder before the gate passes;
// a failure after promotion removes the new version, reloads, and checks the previous one serves.
// The gate judges the candidate against the model that serves its task now (whatever its id: the
// server's default for the task, from /models), evaluated with the candidate's own settings unless
// its manifest records comparable scores, and against absolute floors that also hold for a first
// deployment. The model id defaults to the one serving the task: a new id only when asked for.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { PRESETS, type PresetName } from "@ldtext/core";
import { DiffusionTextClient } from "@ldtext/sdk";
import { corpusVocabulary, defaultFloors, readEvaluation, type Floors } from "../floors.ts";
import { extractMetrics, formatJudgement, judge, qualityGate, type ServedScores } from "../quality-gate.ts";
import { smoke } from "../smoke.ts";
import { findVersion, promoteArtifact, recordedEvaluation, retireVersion } from "./models-dir.ts";
import { createBoard, type StageProgress } from "./progress.ts";
import { loadState, saveState, STAGES, statePath, type PipelineState, type StageName } from "./state.ts";
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
  /** Absolute floors of the gate (default: `defaultFloors()`). */
  floors?: Floors;
  samples: number;
  evalSteps: number;
  /** Model id of the new version (default: the id that serves the task now; required when none does). */
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

/** The model that answers `task` requests naming no model (`/models` `default`; an older server without the flag: the task's only model). */
export async function servedForTask(client: DiffusionTextClient, task: "generate" | "summarize"): Promise<{ id: string; version: string } | null> {
  const { models } = await client.models({ timeoutMs: 10_000 });
  const ofTask = models.filter((m) => m.task === task);
  const chosen = ofTask.find((m) => m.default === true) ?? (ofTask.length === 1 && ofTask[0].default === undefined ? ofTask[0] : undefined);
  return chosen ? { id: chosen.id, version: chosen.version } : null;
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
  const client = new DiffusionTextClient({ baseUrl: o.serverUrl, apiKey: o.apiKey, timeoutMs: 30_000, retries: 2 });
  // Without --model, a new run retrains the model that serves the task (a resumed run keeps its own).
  let model = o.model;
  if (model === undefined && !existsSync(statePath(runDir))) {
    const served = await servedForTask(client, o.task).catch((e: unknown) => {
      throw new PipelineInputError(`cannot ask ${o.serverUrl} which model serves ${o.task} (${(e as Error).message}); start the server or name the model with --model`);
    });
    if (served === null) throw new PipelineInputError(`no model serves ${o.task} at ${o.serverUrl}: for a first deployment name the new model with --model <id>`);
    model = served.id;
  }
  let state: PipelineState;
  try {
    const given = { preset: o.preset, task: o.task, data, ...(o.steps !== undefined ? { steps: o.steps } : {}), ...(o.model ? { model: o.model } : {}), ...(o.version ? { version: o.version } : {}) };
    state = loadState(runDir, given, { version: o.version ?? defaultVersion(), model: model ?? o.task });
  } catch (e) {
    throw new PipelineInputError((e as Error).message);
  }
  const id = state.identity;
  const totalSteps = id.steps ?? PRESETS[id.preset as PresetName].steps;
  const board = createBoard(state, o.out ?? process.stderr);
  const save = () => saveState(runDir, state);
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

  const tool = async (name: ToolName, args: string[], tick?: () => void, logName: string = name): Promise<void> => {
    const log = join(paths.logs, `${logName}.log`);
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

  /** Asks the server to rescan; `expect` = the model version it must serve afterwards. */
  const reload = async (expect?: { id: string; version: string }): Promise<string> => {
    if (!o.adminKey) return "no admin key: left to the server's MODEL_POLL_MS scan";
    const res = await fetch(new URL("/admin/reload", o.serverUrl), { method: "POST", headers: { authorization: `Bearer ${o.adminKey}` }, signal: AbortSignal.timeout(300_000) });
    const text = await res.text();
    if (res.status === 422) throw new StageFailure(`the server refused a version: ${text}`);
    if (res.status !== 200) throw new StageFailure(`POST /admin/reload answered ${res.status}: ${text.slice(0, 300)}`);
    const report = JSON.parse(text) as { loaded: { id: string; version: string }[]; unchanged: { id: string; version: string }[] };
    const wanted = expect?.id ?? id.model;
    const mine = [...report.loaded, ...report.unchanged].find((m) => m.id === wanted);
    if (expect !== undefined && mine?.version !== expect.version) throw new StageFailure(`the server serves ${wanted}@${mine?.version ?? "nothing"} after the reload, not ${expect.version}`);
    return mine ? `${wanted}@${mine.version} after reload` : "reloaded";
  };

  /** The served version's scores with the candidate's evaluation settings: recorded in its manifest when comparable, else evaluated now (kept in the run folder). */
  const servedScores = async (dir: string, label: string, candidateResult: Record<string, unknown>): Promise<ServedScores> => {
    const reflmId = (candidateResult.reflm as { id?: string } | null | undefined)?.id ?? "none";
    const settings: Record<string, string | number> = { "eval.data": id.data, "eval.samples": o.samples, "eval.steps": o.evalSteps, "eval.seed": 0, "eval.reflm": reflmId };
    const recorded = await recordedEvaluation(dir);
    const differs = recorded ? Object.keys(settings).filter((k) => recorded[k] !== settings[k]) : [];
    if (recorded && differs.length === 0) return { label, metrics: extractMetrics(recorded), source: "scores recorded in its manifest, same evaluation settings" };
    const out = join(runDir, "served-eval", label.replace(/[^\w.@-]/g, "_"));
    if (!existsSync(join(out, "result.json"))) {
      board.note(`${label}: ${recorded ? `recorded scores were taken with other ${differs.map((k) => k.slice(5)).join(", ")}` : "no recorded scores"}; evaluating it now with the candidate's settings`);
      const args = ["--artifact", dir, "--data", id.data, "--samples", String(o.samples), "--steps", String(o.evalSteps), "--seed", "0", "--out", out, "--cache-dir", join(runDir, "cache"), "--no-progress", ...(o.reflm ? ["--reflm", resolve(o.reflm)] : [])];
      await tool("evaluate", args, undefined, "evaluate-served");
    }
    return { label, metrics: extractMetrics(JSON.parse(readFileSync(join(out, "result.json"), "utf8"))), source: `evaluated now with the candidate's settings (${out})` };
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
          const candidate = readEvaluation(paths.eval);
          const served = await servedForTask(client, id.task).catch((e: unknown) => {
            throw new StageFailure(`cannot ask ${o.serverUrl} what serves ${id.task}: ${(e as Error).message}`);
          });
          if (served !== null && served.id === id.model && served.version === id.version) throw new StageFailure(`${id.model}@${id.version} is already serving`);
          let baseline: ServedScores | null = null;
          if (served === null) {
            state.previous = null;
            board.note(`no model serves ${id.task} yet: first deployment, only the floors apply`);
          } else {
            const folder = await findVersion(modelsDir, served.id, served.version);
            if (!folder) throw new StageFailure(`the server serves ${served.id}@${served.version} but ${modelsDir} has no such version folder: is --models-dir the server's MODELS_DIR?`);
            state.previous = { id: served.id, version: served.version, dir: folder.dir };
            if (served.id !== id.model) board.note(`${id.model} is a new model id: judged against ${served.id}@${served.version}, which serves ${id.task} now and stays the default for requests naming no model`);
            baseline = await servedScores(folder.dir, `${served.id}@${served.version}`, candidate.result);
          }
          let vocabulary: Set<string> | undefined;
          if (id.task === "generate" && (o.floors ?? defaultFloors()).invented !== null) {
            vocabulary = await corpusVocabulary(id.data).catch((e: unknown) => {
              board.note(`warning: the training corpus's words could not be read (${(e as Error).message}); the invented-word floor is skipped`);
              return undefined;
            });
          }
          const verdict = judge({ candidate, floors: o.floors ?? defaultFloors(), vocabulary, served: baseline, tolerance: o.tolerance });
          const table = formatJudgement(verdict);
          await writeFile(join(runDir, "gate.md"), `${table}\n`);
          await writeFile(join(runDir, "gate.json"), `${JSON.stringify(verdict, null, 2)}\n`);
          board.note(table);
          if (!verdict.pass) throw new StageFailure(`refused: ${verdict.reason}`);
          return verdict.served ? `vs ${verdict.served.label}: passed (${verdict.floors.filter((f) => f.status === "ok").length} floors hold)` : `first deployment: ${verdict.floors.filter((f) => f.status === "ok").length} floors hold`;
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
        const reflmId = ((resultJson as { reflm?: { id?: string } | null }).reflm?.id) ?? "none";
        Object.assign(recordedScores, { "eval.data": id.data, "eval.samples": o.samples, "eval.steps": o.evalSteps, "eval.seed": 0, "eval.reflm": reflmId, "eval.at": new Date().toISOString() });
        const r = await promoteArtifact(paths.artifact, modelsDir, recordedScores);
        state.promotedDir = r.dir;
        return `${r.dir}${r.alreadyThere ? " (already there)" : ""}`;
      })) &&
      (await stage("reload", () => reload({ id: id.model, version: id.version }))) &&
      (await stage("smoke", async () => {
        // A new version of the task's default model is exercised as users reach it (no model named).
        const isDefault = state.previous?.id === id.model;
        const r = await smoke({ url: o.serverUrl, ...(isDefault ? {} : { model: id.model }), task: id.task, expectVersion: id.version, apiKey: o.apiKey, timeoutMs: o.smokeTimeoutMs ?? 120_000, pollMs: 500 });
        if (r.model !== id.model) throw new StageFailure(`${r.model}@${r.version} answered, not ${id.model}`);
        return `${r.model}@${r.version} answered${isDefault ? " requests naming no model" : ""}: ${r.texts} texts, non-blank and distinct (${r.inferenceMs.toFixed(0)} ms)`;
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
      await reload({ id: prev.id, version: prev.version });
      const r = await smoke({ url: o.serverUrl, task: id.task, expectVersion: prev.version, apiKey: o.apiKey, timeoutMs: o.smokeTimeoutMs ?? 120_000, pollMs: 500 });
      if (r.model !== prev.id) throw new StageFailure(`${r.model}@${r.version} answers ${id.task} requests naming no model, not ${prev.id}`);
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
