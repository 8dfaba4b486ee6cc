// npm run bench:int8-profile -- <artifact dir> [--batch 32] [--runs 6] [--variants '{"name": NetOptions | null}']
// Where the time goes: ORT's profiler (enableProfiling) on the artifact's denoiser built fp32 (null)
// and with each NetOptions, summed per op type (ms per run, 1 thread, level "all"; profiling adds
// some overhead, and the machine is shared: compare within one run). Prints one line per variant.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { cpuInfo, cpuLabel, readArtifact } from "@ldtext/core";
import { buildDenoiser } from "../src/networks/graphs.ts";
import type { NetOptions } from "../src/onnx/blocks.ts";
import { weightsFromArtifact } from "../src/verify/verify.ts";
import { denoiserFeeds } from "./feeds.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { batch: { type: "string", default: "32" }, runs: { type: "string", default: "6" }, variants: { type: "string", default: '{"fp32":null,"int8":{"quantize":"int8"}}' } },
});
if (positionals.length !== 1) {
  console.error("usage: npm run bench:int8-profile -- <artifact dir> [--batch 32] [--runs 6] [--variants JSON]");
  process.exit(2);
}
const dir = positionals[0];
const m = await readArtifact(dir);
const w = weightsFromArtifact(dir, m);
const feeds = denoiserFeeds(m.config, Number(values.batch), 3, 32);
console.log(`${dir} B=${values.batch} L=${m.config.maxLen} on ${cpuLabel(cpuInfo())}`);
for (const [name, o] of Object.entries(JSON.parse(values.variants) as Record<string, NetOptions | null>)) {
  const d = mkdtempSync(join(tmpdir(), "ldtext-int8-profile-"));
  const { model, data } = buildDenoiser(m.config, w, o ?? {}).serialize({ externalData: { location: "g.onnx.data" } });
  writeFileSync(join(d, "g.onnx"), model);
  writeFileSync(join(d, "g.onnx.data"), data);
  const s = await ort.InferenceSession.create(join(d, "g.onnx"), { graphOptimizationLevel: "all", intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3, enableProfiling: true, profileFilePrefix: join(d, "p") });
  for (let i = 0; i < Number(values.runs); i++) await s.run(feeds);
  s.endProfiling();
  await s.release();
  const events = JSON.parse(readFileSync(join(d, readdirSync(d).find((f) => f.startsWith("p_"))!), "utf8")) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
  const byOp = new Map<string, number>();
  let total = 0;
  let runs = 0;
  for (const e of events) {
    if (e.cat === "Node" && e.name.endsWith("_kernel_time")) {
      const k = e.args?.op_name ?? "?";
      byOp.set(k, (byOp.get(k) ?? 0) + e.dur);
      total += e.dur;
    }
    if (e.cat === "Session" && e.name === "model_run") runs++;
  }
  const top = [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k} ${(v / 1000 / runs).toFixed(1)}`);
  console.log(`${name.padEnd(10)} ${(total / 1000 / runs).toFixed(1)} ms/run: ${top.join(", ")}`);
}
