// npm run export -- --checkpoint <dir> --out <artifact dir> [--name N] [--version V] [--graphs a,b,c]
//                   [--quantize int8] [--fp16] [--no-ema] [--no-verify] [--force]
//                   [--train-command "…"] [--train-seconds N]   (recorded in the manifest)
// npm run export -- --random <seed> --preset tiny|mini|small|base --task generate|summarize --out <dir> [--ar-dec]
//   (an untrained artifact with a placeholder vocabulary, for server tests and demos; --ar-dec adds
//   ArDec, of Dec's shape, and its graphs)
// --graphs defaults to every graph of the model: with arDec in its config, ArDec's KV-cached pair
// ar_memory + ar_step. Naming ar_decoder in --graphs also writes that pair (the decoder a user wants
// is the fast one); ar_decoder_uncached writes the uncached one-step graph ar_decoder (parity, timing).
// Writes the artifact atomically, then verifies it (export:verify) and prints one JSON line.
import { parseArgs } from "node:util";
import { FIRST_BPE_ID, MAX_CANDIDATES, modelConfigFromPreset, PresetNameSchema, PRESETS, TaskSchema } from "@ldtext/core";
import { exportCheckpoint } from "../artifact/from-checkpoint.ts";
import { writeRandomArtifact } from "../artifact/write.ts";
import type { WrittenArtifact } from "../artifact/write.ts";
import { AR_CACHED_GRAPHS, GRAPH_NAMES } from "../networks/graphs.ts";
import type { GraphName } from "../networks/graphs.ts";
import type { WeightTensor } from "@ldtext/core";
import { placeholderVocabulary } from "../testing.ts";
import { verifyArtifact } from "../verify/verify.ts";

const USAGE = `usage: npm run export -- --checkpoint <dir> --out <artifact dir> [--name N] [--version V]
         [--graphs encoder,denoiser,decoder,cond_encoder,ar_decoder|ar_memory,ar_step|ar_decoder_uncached] [--quantize int8] [--fp16] [--no-ema] [--no-verify] [--force]
         [--train-command "…"] [--train-seconds N] [--guidance W] [--candidates K]   (a summarizer's served defaults: guidance W, best of K samples)
         [--clamp T]   (T: the served default latent-clamping threshold; needs the encoder in --graphs)
       npm run export -- --random <seed> --preset tiny|mini|small|base --task generate|summarize --out <dir> [--ar-dec] [...]`;

/**
 * --graphs names → graphs to write: `ar_decoder` (ArDec) means its KV-cached pair, what serving
 * should run; `ar_decoder_uncached` the whole-prefix one-step graph. Undefined on an unknown name.
 */
function cliGraphs(list: string): GraphName[] | undefined {
  const out = new Set<GraphName>();
  for (const name of list.split(",").map((g) => g.trim())) {
    if (name === "ar_decoder") for (const g of AR_CACHED_GRAPHS) out.add(g);
    else if (name === "ar_decoder_uncached") out.add("ar_decoder");
    else if ((GRAPH_NAMES as readonly string[]).includes(name)) out.add(name as GraphName);
    else return undefined;
  }
  return [...out];
}

function fail(msg: string): never {
  console.error(`${msg}\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      checkpoint: { type: "string" },
      out: { type: "string" },
      name: { type: "string" },
      version: { type: "string" },
      graphs: { type: "string" },
      quantize: { type: "string" },
      fp16: { type: "boolean", default: false },
      "no-ema": { type: "boolean", default: false },
      "no-verify": { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      "train-command": { type: "string" },
      "train-seconds": { type: "string" },
      guidance: { type: "string" },
      candidates: { type: "string" },
      clamp: { type: "string" },
      random: { type: "string" },
      preset: { type: "string", default: "tiny" },
      task: { type: "string", default: "generate" },
      "ar-dec": { type: "boolean", default: false },
    },
  });
  if (!values.out) fail("--out is required");
  if (!values.checkpoint === !values.random) fail("give exactly one of --checkpoint or --random");
  if (values.quantize !== undefined && values.quantize !== "int8") fail(`--quantize supports only int8 (got ${values.quantize})`);
  if (values["ar-dec"] && !values.random) fail("--ar-dec is for --random artifacts (a checkpoint's config says whether it has ArDec)");
  let graphs: GraphName[] | undefined;
  if (values.graphs) graphs = cliGraphs(values.graphs) ?? fail(`unknown graph in --graphs ${values.graphs} (known: ${[...GRAPH_NAMES, "ar_decoder_uncached"].join(", ")})`);
  const guidance = values.guidance !== undefined ? Number(values.guidance) : undefined;
  if (guidance !== undefined && !(Number.isFinite(guidance) && guidance >= 0 && guidance <= 100)) fail(`--guidance needs a number in [0, 100], got ${values.guidance}`);
  const clamp = values.clamp !== undefined ? Number(values.clamp) : undefined;
  if (clamp !== undefined && !(Number.isFinite(clamp) && clamp >= 0 && clamp <= 1)) fail(`--clamp needs a time in [0, 1], got ${values.clamp}`);
  const candidates = values.candidates !== undefined ? Number(values.candidates) : undefined;
  if (candidates !== undefined && !(Number.isInteger(candidates) && candidates >= 1 && candidates <= MAX_CANDIDATES)) fail(`--candidates needs an integer in [1, ${MAX_CANDIDATES}], got ${values.candidates}`);
  const sampling = { ...(guidance !== undefined ? { guidance } : {}), ...(clamp !== undefined ? { clamp } : {}), ...(candidates !== undefined ? { candidates } : {}) };
  const common = { ...(Object.keys(sampling).length > 0 ? { sampling } : {}), outDir: values.out, name: values.name, version: values.version, graphs, quantize: values.quantize as "int8" | undefined, fp16: values.fp16, replace: values.force };
  const started = performance.now();
  let written: WrittenArtifact;
  let original: ReadonlyMap<string, WeightTensor> | undefined;
  let weightSource = "random";
  if (values.checkpoint) {
    const r = await exportCheckpoint({ ...common, checkpoint: values.checkpoint, useEma: !values["no-ema"],
      training: {
        ...(values["train-command"] ? { command: values["train-command"] } : {}),
        ...(values["train-seconds"] ? { seconds: Number(values["train-seconds"]) } : {}),
      },
    });
    written = r;
    original = r.weights;
    weightSource = r.weightSource;
  } else {
    const preset = PresetNameSchema.safeParse(values.preset);
    const task = TaskSchema.safeParse(values.task);
    if (!preset.success) fail(`unknown preset ${values.preset}`);
    if (!task.success) fail(`unknown task ${values.task}`);
    const vocabSize = FIRST_BPE_ID + PRESETS[preset.data].topK;
    const base = modelConfigFromPreset(preset.data, task.data, vocabSize);
    const config = values["ar-dec"] ? { ...base, arDec: { ...base.dec } } : base;
    written = await writeRandomArtifact({ ...common, config, vocabulary: placeholderVocabulary(vocabSize), seed: Number(values.random) });
  }
  const exportSeconds = (performance.now() - started) / 1000;
  const sizes = Object.fromEntries(Object.entries(written.manifest.graphs).map(([k, g]) => [k, g ? g.bytes + (g.externalData?.bytes ?? 0) : 0]));
  const result: Record<string, unknown> = { artifact: written.dir, weights: weightSource, exportSeconds: Number(exportSeconds.toFixed(3)), bytes: sizes };
  let ok = true;
  if (!values["no-verify"]) {
    const report = await verifyArtifact(written.dir);
    result.verify = { ok: report.ok, reference: report.reference, graphs: report.graphs };
    ok = report.ok;
    if (values.fp16 && original) {
      // What fp16 storage costs: the stored graphs against the float32 weights they came from.
      const storage = await verifyArtifact(written.dir, { reference: "js", weights: original });
      result.fp16StorageMaxAbsErr = Object.fromEntries(Object.entries(storage.graphs).map(([k, g]) => [k, g.maxAbsErr]));
    }
  }
  console.log(JSON.stringify(result));
  for (const [k, b] of Object.entries(sizes)) console.error(`${k.padEnd(16)} ${(b / 1e6).toFixed(2).padStart(8)} MB`);
  console.error(`${ok ? "wrote" : "wrote (VERIFY FAILED)"} ${written.dir} in ${exportSeconds.toFixed(2)} s`);
  return ok ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  console.log(JSON.stringify({ ok: false, error: message }));
  console.error(`export failed: ${message}`);
  process.exitCode = 1;
}
