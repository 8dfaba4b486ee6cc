// The repository's own commands, run as child processes exactly as `npm run train|export|
// export:verify|eval` run them (tsx on the same entry files), each with its output in a log file.
// Children keep TensorFlow.js and ONNX Runtime memory out of the pipeline process, and a training
// child stopped by a signal writes its checkpoint, so the stage resumes (`--resume`).
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";

export const TOOLS = {
  train: { script: "training/src/cli/train.ts", npm: "npm run train --" },
  export: { script: "export/src/cli/export.ts", npm: "npm run export --" },
  verify: { script: "export/src/cli/verify.ts", npm: "npm run export:verify --" },
  evaluate: { script: "evaluation/src/run/cli.ts", npm: "npm run eval --" },
} as const;
export type ToolName = keyof typeof TOOLS;

export class ToolError extends Error {
  override name = "ToolError";
}

export interface ToolRun {
  child: ChildProcess;
  done: Promise<void>;
}

const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

/** The command line a user would type for the same work (written at the top of the log). */
export function commandLine(tool: ToolName, args: string[]): string {
  return `${TOOLS[tool].npm} ${args.map(quote).join(" ")}`;
}

/** Starts `tool` with `args` in `repoRoot`; stdout and stderr go to `logFile`. `done` rejects on a non-zero exit. */
export async function startTool(repoRoot: string, tool: ToolName, args: string[], logFile: string): Promise<ToolRun> {
  await mkdir(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, "a");
  writeSync(fd, `\n$ ${commandLine(tool, args)}   # ${new Date().toISOString()}\n`);
  const child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, TOOLS[tool].script), ...args], { cwd: repoRoot, stdio: ["ignore", fd, fd], env: process.env });
  closeSync(fd);
  const done = new Promise<void>((resolve, reject) => {
    child.once("error", (e) => reject(new ToolError(`${tool}: could not start (${e.message})`)));
    child.once("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new ToolError(`${tool} exited with ${signal ?? `code ${code}`}: ${(lastLines(logFile, 1)[0] ?? "no output").slice(0, 300)} (log: ${logFile})`));
    });
  });
  return { child, done };
}

/** The last `n` non-empty lines of a file (read from its end, so large logs cost nothing). */
export function lastLines(path: string, n: number, maxBytes = 64 * 1024): string[] {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, maxBytes);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    // Progress bars redraw with \r: keep what a terminal would show last on each line.
    const lines = buf.toString("utf8").split("\n").map((l) => l.split("\r").filter((p) => p.trim() !== "").pop() ?? "").filter((l) => l.trim() !== "");
    return lines.slice(-n);
  } finally {
    closeSync(fd);
  }
}
