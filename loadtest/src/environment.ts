// What the machine was doing: CPU model (lscpu's "Model name", else Node's), CPU count and the
// load average at the start and end of a run, recorded in every load-test summary because the
// figures of a shared machine mean little without them.
import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import type { Environment } from "../k6/lib/shared.js";

export function cpuModel(): string {
  const r = spawnSync("lscpu", [], { encoding: "utf8" });
  const m = r.status === 0 ? /^Model name:\s*(.+)$/m.exec(r.stdout) : null;
  return m ? m[1].trim() : (cpus()[0]?.model ?? "unknown");
}

/** Starts recording; call the returned function at the end of the run. */
export function recordEnvironment(): () => Environment {
  const start = loadavg();
  const model = cpuModel();
  return () => ({ cpuModel: model, cpus: cpus().length, loadAverageStart: start, loadAverageEnd: loadavg() });
}
