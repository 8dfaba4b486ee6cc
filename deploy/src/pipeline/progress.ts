// The stage list users watch: one row per stage with its status, time spent and, while it runs, an
// ETA when the stage can tell its progress (training reads its own log). On a terminal the list is
// redrawn in place; elsewhere (CI, pipes, tests) each change prints one line, plus a progress line
// at most every `plainEveryMs` for a long stage.
import type { PipelineState, StageName } from "./state.ts";
import { STAGES } from "./state.ts";

export interface StageProgress {
  /** 0..1 */
  fraction: number;
  etaSeconds: number | null;
  detail: string;
}

const MARK: Record<string, string> = { pending: "·", running: "▶", done: "✓", failed: "✗", skipped: "–", undone: "↺" };

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m} min ${String(s).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

function bar(fraction: number, width = 20): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${"█".repeat(filled)}${"░".repeat(width - filled)}]`;
}

/** The stage list as text lines (what the terminal shows). */
export function renderStages(state: PipelineState, running: { stage: StageName; since: number; progress: StageProgress | null } | null, now = Date.now()): string[] {
  return STAGES.map((name, i) => {
    const r = state.stages[name];
    const head = `${MARK[r.status] ?? "?"} ${String(i + 1).padStart(2)}/${STAGES.length} ${name.padEnd(9)}`;
    if (running && running.stage === name) {
      const elapsed = formatDuration((now - running.since) / 1000);
      const p = running.progress;
      if (p === null) return `${head} running  ${elapsed}`;
      return `${head} running  ${bar(p.fraction)} ${(p.fraction * 100).toFixed(0).padStart(3)} %  ${elapsed}, ETA ${p.etaSeconds === null ? "?" : formatDuration(p.etaSeconds)}  ${p.detail}`;
    }
    const took = r.seconds !== undefined ? `  ${formatDuration(r.seconds)}` : "";
    return `${head} ${r.status.padEnd(8)}${took}${r.note ? `  ${r.note}` : ""}`;
  });
}

export interface Board {
  start(stage: StageName): void;
  progress(p: StageProgress | null): void;
  /** After the stage's record in `state` was updated (`earlier`: done by an earlier run, skipped now). */
  finish(stage: StageName, earlier?: boolean): void;
  /** A free-form line (warnings, where logs are). */
  note(line: string): void;
  close(): void;
}

export function createBoard(state: PipelineState, out: NodeJS.WritableStream & { isTTY?: boolean }, opts: { tty?: boolean; plainEveryMs?: number } = {}): Board {
  const tty = opts.tty ?? out.isTTY === true;
  const plainEveryMs = opts.plainEveryMs ?? 10_000;
  let running: { stage: StageName; since: number; progress: StageProgress | null } | null = null;
  let drawn = 0;
  let timer: NodeJS.Timeout | null = null;
  let lastPlain = 0;
  const redraw = () => {
    const lines = renderStages(state, running);
    out.write(`${drawn > 0 ? `\x1b[${drawn}A` : ""}${lines.map((l) => `\x1b[2K${l}`).join("\n")}\n`);
    drawn = lines.length;
  };
  const plain = (line: string) => out.write(`${line}\n`);
  const index = (s: StageName) => `[${STAGES.indexOf(s) + 1}/${STAGES.length}]`;
  if (tty) {
    redraw();
    timer = setInterval(redraw, 500);
    timer.unref();
  }
  return {
    start(stage) {
      running = { stage, since: Date.now(), progress: null };
      lastPlain = Date.now();
      if (tty) redraw();
      else plain(`${index(stage)} ${stage} …`);
    },
    progress(p) {
      if (!running) return;
      running.progress = p;
      if (!tty && p && Date.now() - lastPlain >= plainEveryMs) {
        lastPlain = Date.now();
        const elapsed = formatDuration((Date.now() - running.since) / 1000);
        plain(`${index(running.stage)} ${running.stage} ${(p.fraction * 100).toFixed(0)} %, ${elapsed} elapsed, ETA ${p.etaSeconds === null ? "?" : formatDuration(p.etaSeconds)}  ${p.detail}`);
      }
    },
    finish(stage, earlier = false) {
      if (running?.stage === stage) running = null;
      const r = state.stages[stage];
      if (tty) redraw();
      else if (earlier) plain(`${index(stage)} ${stage} done earlier, skipped${r.note ? `: ${r.note}` : ""}`);
      else plain(`${index(stage)} ${stage} ${r.status}${r.seconds !== undefined ? ` in ${formatDuration(r.seconds)}` : ""}${r.note ? `: ${r.note}` : ""}`);
    },
    note(line) {
      if (tty) {
        // Printed above the list: the list is drawn again below it.
        out.write(`${drawn > 0 ? `\x1b[${drawn}A` : ""}\x1b[0J${line}\n`);
        drawn = 0;
        redraw();
      } else plain(line);
    },
    close() {
      if (timer) clearInterval(timer);
      if (tty) redraw();
    },
  };
}
