// npm run bench:ar-decode -- [--preset small | --artifact <dir with ArDec graphs>] [--batch 1,16] [--threads 1] [--repeats 3]
// Decode time per sample, side by side, through core's OrtModel.decode (what the server and
// sampleArtifact run): Dec's one call (decoder.onnx, `nar`); ArDec's greedy loop uncached
// (ar_decoder: up to L calls, each recomputing the whole prefix, `ar-uncached`); and ArDec's greedy
// loop with the KV cache (ar_memory once, then up to L ar_step calls of one position each,
// `ar-cached`). Random weights of the preset (ArDec of Dec's shape) with EOS and PAD suppressed in
// ArDec's lm_head bias, so every row decodes all L positions: the worst case, what a text that
// fills the window costs (a trained model stops at the first EOS). With --artifact, the decoders
// the artifact has. Prints one JSON line (stdout, with cpuInfo()) and a table (stderr); wall and CPU
// ms per sample (the CPU time of this process, ORT's threads included: the machine may be shared).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { EOS_ID, FIRST_BPE_ID, PAD_ID, coreMath, cpuInfo, modelConfigFromPreset, modelShape, PRESETS, PresetNameSchema, readArtifact } from "@ldtext/core";
import type { GraphRole } from "@ldtext/core";
import { OrtModel, createSession } from "@ldtext/core/onnx";
import type { OrtSessions } from "@ldtext/core/onnx";
import { writeArtifact } from "../src/artifact/write.ts";
import { gaussian, randomWeights } from "../src/networks/weights.ts";
import { placeholderVocabulary } from "../src/testing.ts";

const { values } = parseArgs({ options: { preset: { type: "string", default: "small" }, artifact: { type: "string" }, batch: { type: "string", default: "1,16" }, threads: { type: "string", default: "1" }, repeats: { type: "string", default: "3" } } });
const batches = values.batch.split(",").map(Number);
const threads = Number(values.threads);
const repeats = Number(values.repeats);

let dir: string;
let source: string;
if (values.artifact) {
  dir = values.artifact;
  source = values.artifact;
} else {
  const preset = PresetNameSchema.parse(values.preset);
  const base = modelConfigFromPreset(preset, "generate", FIRST_BPE_ID + PRESETS[preset].topK);
  const config = { ...base, arDec: { ...base.dec } };
  const weights = randomWeights(config, 1);
  const b = weights.get("ard.lm_head.b")!;
  const bias = Float32Array.from(b.data);
  bias[EOS_ID] = bias[PAD_ID] = -1e4; // no early stop: every row runs T = 1..L
  weights.set("ard.lm_head.b", { shape: b.shape, data: bias });
  dir = join(mkdtempSync(join(tmpdir(), "ldtext-ardec-bench-")), "m");
  const norm = { kind: "data" as const, mean: new Array<number>(config.latentDim).fill(0), sq: new Array<number>(config.latentDim).fill(1) };
  await writeArtifact({ config, weights, norm, vocabulary: placeholderVocabulary(config.vocabSize), outDir: dir, graphs: ["denoiser", "decoder", "ar_decoder", "ar_memory", "ar_step"], training: { command: "bench (random)", seconds: 0, steps: 0, finalLosses: {} } });
  source = `random ${preset}, EOS/PAD suppressed`;
}
const m = await readArtifact(dir);
const { maxLen: L, latentDim: d } = m.config;
const math = coreMath(m.config.schedule);

type Decoder = "nar" | "ar-uncached" | "ar-cached";

interface Row {
  decoder: Decoder;
  batch: number;
  wallMsPerSample: number;
  cpuMsPerSample: number;
  positions: number;
}

/** Median over `repeats` decodes of `batch` rows (after one warm-up), per sample. */
async function time(model: OrtModel, batch: number): Promise<Omit<Row, "decoder" | "batch">> {
  const rnd = gaussian(7);
  const lat = Float32Array.from({ length: batch * L * d }, () => rnd());
  let ids = await model.decode(lat, batch);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    ids = await model.decode(lat, batch);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const median = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1];
  // Decoded positions per row before the first EOS/PAD (L when none): the work the loop did.
  let positions = 0;
  for (let r = 0; r < batch; r++) {
    const row = Array.from(ids.subarray(r * L, (r + 1) * L));
    const k = row.findIndex((v) => v === EOS_ID || v === PAD_ID);
    positions += k < 0 ? L : k + 1;
  }
  return { wallMsPerSample: median(wall) / batch, cpuMsPerSample: median(cpu) / batch, positions: positions / batch };
}

/** An OrtModel whose decode runs exactly `decoder` (openArtifactModel would pick the cached pair when present). */
async function modelFor(decoder: Decoder): Promise<OrtModel> {
  const open = (role: GraphRole) => createSession(join(dir, m.graphs[role]!.file), { threads });
  const sessions: OrtSessions = { denoiser: await open("denoiser"), decoder: await open("decoder") };
  if (decoder === "ar-uncached") sessions.arDecoder = await open("ar_decoder");
  if (decoder === "ar-cached") sessions.arCached = { memory: await open("ar_memory"), step: await open("ar_step") };
  return new OrtModel(sessions, modelShape(m.config), math);
}

const available: Decoder[] = ["nar"];
if (m.graphs.ar_decoder) available.push("ar-uncached");
if (m.graphs.ar_memory && m.graphs.ar_step) available.push("ar-cached");
const rows: Row[] = [];
for (const decoder of available) {
  const model = await modelFor(decoder);
  for (const batch of batches) rows.push({ decoder, batch, ...(await time(model, batch)) });
  await model.release();
}
console.log(JSON.stringify({ source, L, d, V: m.config.vocabSize, dec: m.config.dec, arDec: m.config.arDec, threads, repeats, cpu: cpuInfo(), rows }));
console.error(`${source}: L=${L} d=${d} V=${m.config.vocabSize}, ${threads} thread(s), median of ${repeats}`);
console.error("decoder     batch  wall ms/sample  CPU ms/sample  positions/row");
for (const r of rows) console.error(`${r.decoder.padEnd(11)} ${String(r.batch).padStart(5)}  ${r.wallMsPerSample.toFixed(1).padStart(14)}  ${r.cpuMsPerSample.toFixed(1).padStart(13)}  ${r.positions.toFixed(1).padStart(13)}`);
