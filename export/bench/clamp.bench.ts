// npm run bench:clamp -- [--artifact models/rocstories-generate/1.2.0] [--clamp 0,0.3,0.5] [--n 32] [--steps 50] [--rounds 3] [--threads 1]
// What latent clamping costs: sampling time per sample through sampleArtifact (the server's
// scheduler and OrtModel, one lane, batch 32), one setting after the other within each round so
// that every setting sees the same machine load; the median round is reported. A clamped step adds
// one decoder and one encoder call for its rows, so the cost grows with the share of the grid at
// t ≤ clamp. Prints one JSON line (stdout, with cpuInfo()) and a table (stderr).
import { parseArgs } from "node:util";
import { cpuInfo, readArtifact } from "@ldtext/core";
import { sampleArtifact } from "../src/sample/sample.ts";

const { values } = parseArgs({
  options: {
    artifact: { type: "string", default: "models/rocstories-generate/1.2.0" },
    clamp: { type: "string", default: "0,0.3,0.5" },
    n: { type: "string", default: "32" },
    steps: { type: "string", default: "50" },
    rounds: { type: "string", default: "3" },
    threads: { type: "string", default: "1" },
  },
});
const clamps = values.clamp.split(",").map(Number);
const [n, steps, rounds, threads] = [values.n, values.steps, values.rounds, values.threads].map(Number);
const m = await readArtifact(values.artifact);
if (m.task !== "generate") throw new Error("bench:clamp samples a generate artifact");

const times = new Map<number, { wall: number[]; cpu: number[] }>(clamps.map((c) => [c, { wall: [], cpu: [] }]));
for (let r = 0; r < rounds; r++) {
  for (const clamp of clamps) {
    const c0 = process.cpuUsage();
    const res = await sampleArtifact({ artifactDir: values.artifact, n, steps, seed: r, clamp, threads });
    const c = process.cpuUsage(c0);
    times.get(clamp)!.wall.push((1000 * res.seconds) / n);
    times.get(clamp)!.cpu.push((c.user + c.system) / 1000 / n);
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
const base = median(times.get(clamps[0])!.wall);
const rows = clamps.map((clamp) => {
  const t = times.get(clamp)!;
  const wall = median(t.wall);
  return { clamp, clampedStepShare: clampedShare(clamp), wallMsPerSample: wall, cpuMsPerSample: median(t.cpu), overFirst: wall / base };
});
/** Share of the 50-step grid linspace(1, 0.01) at t ≤ clamp. */
function clampedShare(clamp: number): number {
  let k = 0;
  for (let i = 0; i < steps; i++) if (1 + ((0.01 - 1) * i) / steps <= clamp) k++;
  return k / steps;
}
console.log(JSON.stringify({ artifact: `${m.id}@${m.version}`, n, steps, rounds, threads, cpu: cpuInfo(), rows }));
console.error(`${m.id}@${m.version}: ${n} samples × ${steps} DDIM steps, batch 32, ${threads} thread(s), median of ${rounds} rounds`);
console.error("clamp  clamped steps  wall ms/sample  CPU ms/sample  × clamp " + clamps[0]);
for (const r of rows) console.error(`${String(r.clamp).padStart(5)}  ${(100 * r.clampedStepShare).toFixed(0).padStart(12)} %  ${r.wallMsPerSample.toFixed(1).padStart(14)}  ${r.cpuMsPerSample.toFixed(1).padStart(13)}  ${r.overFirst.toFixed(2).padStart(9)}`);
