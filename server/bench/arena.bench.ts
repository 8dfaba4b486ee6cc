// npm run bench:arena -w server -- [--artifact models/rocstories-generate/1.2.0] [--rows 32] [--calls 20] [--rounds 3]
// CPU cost of ORT's CPU arena and memory patterns: the artifact's denoiser and decoder at `rows` rows,
// sessions with each setting, rounds interleaved; CPU ms per call of each graph from
// process.cpuUsage (comparable on a shared machine, where wall time is not).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { createSession } from "@ldtext/core/onnx";

const root = new URL("../../", import.meta.url).pathname;
const { values } = parseArgs({ options: { artifact: { type: "string", default: join(root, "models/rocstories-generate/1.2.0") }, rows: { type: "string", default: "32" }, calls: { type: "string", default: "20" }, rounds: { type: "string", default: "3" } } });
const manifest = JSON.parse(readFileSync(join(values.artifact, "manifest.json"), "utf8")) as { config: { maxLen: number; latentDim: number }; graphs: Record<string, { file: string }> };
const { maxLen: L, latentDim: d } = manifest.config;
const B = Number(values.rows);
const settings = [
  { name: "arena+pattern (ORT default)", enableCpuMemArena: true, enableMemPattern: true },
  { name: "no arena, no pattern", enableCpuMemArena: false, enableMemPattern: false },
];
const open = (file: string, s: (typeof settings)[number]) =>
  createSession(join(values.artifact, file), { threads: 1, cpuMemArena: s.enableCpuMemArena, memPattern: s.enableMemPattern });
const sessions = await Promise.all(settings.map(async (s) => ({ s, den: await open(manifest.graphs.denoiser.file, s), dec: await open(manifest.graphs.decoder.file, s) })));
const x = () => new ort.Tensor("float32", Float32Array.from({ length: B * L * d }, () => Math.random() - 0.5), [B, L, d]);
const denMs: number[][] = settings.map(() => []);
const decMs: number[][] = settings.map(() => []);
const cpu = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [i, { den, dec }] of sessions.entries()) {
    let tDen = 0;
    let tDec = 0;
    for (let k = 0; k < Number(values.calls); k++) {
      const inputs = { x_t: x(), x_sc: x(), t: new ort.Tensor("float32", new Float32Array(B).fill(0.5), [B]) };
      let c0 = process.cpuUsage();
      const out = await den.run(inputs);
      tDen += cpu(process.cpuUsage(c0));
      c0 = process.cpuUsage();
      await dec.run({ latents: out.x0_hat });
      tDec += cpu(process.cpuUsage(c0));
    }
    denMs[i].push(tDen / Number(values.calls));
    decMs[i].push(tDec / Number(values.calls));
  }
}
const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
console.log(JSON.stringify({ bench: "ort-arena", cpu: cpus()[0]?.model, cores: cpus().length, rows: B, L, d, results: settings.map((s, i) => ({ setting: s.name, denoiserCpuMs: Math.round(median(denMs[i]) * 10) / 10, decoderCpuMs: Math.round(median(decMs[i]) * 10) / 10, denoiserRounds: denMs[i].map((v) => Math.round(v)) })) }));
