// The pipeline's state file (`<run-dir>/pipeline.json`, written atomically): the options it was
// started with and one record per stage. A re-run skips stages whose status is "done"; the
// options that decide what gets trained must match, so a resumed run cannot mix two models.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "@ldtext/core";

export const STAGES = ["train", "export", "verify", "evaluate", "gate", "promote", "reload", "smoke", "rollback"] as const;
export type StageName = (typeof STAGES)[number];

export type StageStatus = "pending" | "running" | "done" | "failed" | "skipped" | "undone";

export interface StageRecord {
  status: StageStatus;
  startedAt?: string;
  seconds?: number;
  /** One line for the stage list: what it did or why it failed. */
  note?: string;
}

/** What identifies the model being built; a resumed run must use the same. */
export interface RunIdentity {
  preset: string;
  task: "generate" | "summarize";
  data: string;
  steps: number | null;
  model: string;
  version: string;
}

export interface PipelineState {
  kind: "ldtext-pipeline";
  version: 1;
  identity: RunIdentity;
  stages: Record<StageName, StageRecord>;
  /** The version serving when the gate ran (the one a rollback returns to). */
  previous?: { id: string; version: string; dir: string | null } | null;
  /** Folder of the promoted version while it is installed. */
  promotedDir?: string | null;
  outcome?: "kept" | "rolled-back" | "gate-failed" | "failed";
}

export class StateError extends Error {
  override name = "StateError";
}

export function statePath(runDir: string): string {
  return join(runDir, "pipeline.json");
}

export function freshState(identity: RunIdentity): PipelineState {
  return { kind: "ldtext-pipeline", version: 1, identity, stages: Object.fromEntries(STAGES.map((s) => [s, { status: "pending" }])) as Record<StageName, StageRecord> };
}

/**
 * The state of `runDir`: the saved one when it exists (its identity must match `identity` on every
 * field the caller set; the saved values fill the rest), else a fresh one.
 */
export function loadState(runDir: string, identity: Partial<RunIdentity> & Pick<RunIdentity, "preset" | "task" | "data">, defaults: { version: string; model: string }): PipelineState {
  const path = statePath(runDir);
  if (!existsSync(path)) {
    return freshState({ steps: null, version: defaults.version, model: defaults.model, ...identity });
  }
  let saved: PipelineState;
  try {
    saved = JSON.parse(readFileSync(path, "utf8")) as PipelineState;
  } catch (e) {
    throw new StateError(`${path}: not valid JSON (${(e as Error).message}); use another --run-dir or delete it`);
  }
  if (saved.kind !== "ldtext-pipeline" || saved.version !== 1 || typeof saved.stages !== "object") throw new StateError(`${path}: not a pipeline state file`);
  const clashes = (Object.keys(identity) as (keyof RunIdentity)[])
    .filter((k) => identity[k] !== undefined && identity[k] !== saved.identity[k])
    .map((k) => `--${k} ${String(identity[k])} (the run has ${String(saved.identity[k])})`);
  if (clashes.length > 0) throw new StateError(`${runDir} holds another pipeline run: ${clashes.join(", ")}; use a new --run-dir to start over`);
  for (const s of STAGES) saved.stages[s] ??= { status: "pending" };
  return saved;
}

export async function saveState(runDir: string, state: PipelineState): Promise<void> {
  await writeFileAtomic(statePath(runDir), JSON.stringify(state, null, 2) + "\n");
}
