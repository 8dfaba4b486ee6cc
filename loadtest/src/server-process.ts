// Spawns the inference server as a child process (server/src/main.ts through tsx) on a free loopback
// port, waits until /health/ready answers 200, and stops it with SIGTERM (its graceful drain) when
// done. (@ldtext/server's own `startServer` starts one inside the calling process instead.)
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, readdirSync, type Dirent } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { freePort } from "./target.ts";

export interface ServerProcess {
  url: string;
  pid: number;
  /** Settles with the exit code (null when killed by a signal) once the process has exited. */
  exited: Promise<number | null>;
  /** True when the process exited before stop() was called (killed by someone else, or crashed). */
  exitedEarly(): boolean;
  stop(): Promise<void>;
}

export interface ServerProcessOptions {
  repoRoot: string;
  modelsDir: string;
  /** Server stdout/stderr go here (pino JSON lines). */
  logFile: string;
  readyTimeoutMs?: number;
  env?: Record<string, string>;
}

export class ServerStartError extends Error {
  override name = "ServerStartError";
}

/** True when some folder up to `depth` levels below `dir` holds a manifest.json (an artifact). */
function hasArtifact(dir: string, depth: number): boolean {
  if (existsSync(join(dir, "manifest.json"))) return true;
  if (depth === 0) return false;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  return entries.some((e) => e.isDirectory() && !e.name.startsWith(".") && hasArtifact(join(dir, e.name), depth - 1));
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once("exit", () => r())));
}

export async function spawnServerProcess(o: ServerProcessOptions): Promise<ServerProcess> {
  const main = resolve(o.repoRoot, "server/src/main.ts");
  if (!existsSync(main)) throw new ServerStartError(`no server entry point at ${main}; pass --url to test a running server`);
  const modelsDir = resolve(o.modelsDir);
  if (!existsSync(modelsDir)) throw new ServerStartError(`models directory ${modelsDir} does not exist (--models)`);
  if (!hasArtifact(modelsDir, 3)) {
    throw new ServerStartError(`no model artifact (manifest.json) under ${modelsDir}; export one, e.g. npm run export -- --random 1 --preset tiny --task generate --out ${modelsDir}/generate/1`);
  }
  const port = await freePort();
  await mkdir(dirname(o.logFile), { recursive: true });
  const log = createWriteStream(o.logFile);
  const child = spawn(process.execPath, ["--import", "tsx", main], {
    cwd: o.repoRoot,
    env: { ...process.env, ...o.env, PORT: String(port), HOST: "127.0.0.1", MODELS_DIR: modelsDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exitedWith = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  let stopping = false;
  const exitedEarly = () => !stopping && (child.exitCode !== null || child.signalCode !== null);
  const stop = async () => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited(child);
      clearTimeout(timer);
    }
    log.end();
  };
  const deadline = Date.now() + (o.readyTimeoutMs ?? 180_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new ServerStartError(`server exited (${child.exitCode ?? child.signalCode}) before it was ready; see ${o.logFile}`);
    }
    try {
      const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return { url, pid: child.pid!, exited: exitedWith, exitedEarly, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new ServerStartError(`server not ready within ${(o.readyTimeoutMs ?? 180_000) / 1000} s; see ${o.logFile}`);
}
