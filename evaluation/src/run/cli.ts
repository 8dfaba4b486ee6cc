// `npm run eval -- --artifact <dir> --data <rocstories|wikipedia|xsum|path> --samples N --steps S
//   [--sampler ddim|sde|ode] [--seed N] [--reflm <dir>] [--split test] [--out <dir>] …`
// Prints the markdown table; the JSON result, the table and the samples go to --out.
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { DECODER_CHOICES, type DecoderChoice, SAMPLER_KINDS, type SamplerKind } from "@ldtext/core";
import { evaluate, resultMarkdown, type EvalOptions } from "./evaluate.ts";

const USAGE = `usage: npm run eval -- --artifact <dir> --data <rocstories|wikipedia|xsum|path> --samples N --steps S [options]

  --sampler ddim|sde|ode (ddim)   --seed N (0)   --guidance W (summarize only; default: the artifact's served default, else 0)
  --candidates K       summaries per document, the kept one chosen by minimum Bayes risk (summarize only; default: the artifact's served default, else 1)
  --clamp T            latent clamping at steps with t ≤ T (0 = off; default: the artifact's served default, else 0)
  --denoiser fp32|int8 (fp32)     int8: the artifact's dynamically quantized denoiser (the server's DENOISER=int8)
  --decoder auto|nar|ar (auto)    ar: ArDec's greedy decode (auto = ar when the artifact has ArDec's graphs); nar: Dec
  --reflm <dir>        reference LM (npm run reflm:train); without it PPL, MAUVE and BERTScore are skipped
  --split test         split to compare against (default test)
  --references N       MAUVE reference texts (default = samples)
  --batch N (32)       denoiser rows per call
  --out <dir>          (default runs/eval/<artifact id>-<version>-<sampler>-s<steps>-seed<seed>)
  --no-mem             skip Mem (no training split)
  --cache-dir <dir>    Mem index cache (default runs/cache)
  --no-progress
`;

export function parseEvalArgs(argv: string[]): EvalOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      artifact: { type: "string" }, data: { type: "string" }, samples: { type: "string" }, steps: { type: "string" },
      sampler: { type: "string" }, seed: { type: "string" }, guidance: { type: "string" }, candidates: { type: "string" }, clamp: { type: "string" }, reflm: { type: "string" },
      split: { type: "string" }, references: { type: "string" }, batch: { type: "string" }, out: { type: "string" },
      denoiser: { type: "string" }, decoder: { type: "string" }, "no-mem": { type: "boolean" }, "cache-dir": { type: "string" }, "no-progress": { type: "boolean" }, help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  for (const req of ["artifact", "data", "samples", "steps"] as const) if (values[req] === undefined) throw new Error(`--${req} is required`);
  const num = (flag: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined;
    const x = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(x)) throw new Error(`--${flag} needs a number, got "${raw}"`);
    return x;
  };
  const sampler = (values.sampler ?? "ddim") as SamplerKind;
  if (!SAMPLER_KINDS.includes(sampler)) throw new Error(`--sampler must be one of ${SAMPLER_KINDS.join(", ")}`);
  const seed = num("seed", values.seed) ?? 0;
  const steps = num("steps", values.steps)!;
  const artifact = values.artifact!;
  const denoiser = values.denoiser ?? "fp32";
  if (denoiser !== "fp32" && denoiser !== "int8") throw new Error(`--denoiser must be fp32 or int8, got "${denoiser}"`);
  const decoder = (values.decoder ?? "auto") as DecoderChoice;
  if (!DECODER_CHOICES.includes(decoder)) throw new Error(`--decoder must be one of ${DECODER_CHOICES.join(", ")}, got "${decoder}"`);
  const o: EvalOptions = {
    artifact,
    data: values.data!,
    samples: num("samples", values.samples)!,
    steps,
    sampler,
    seed,
    denoiser,
    decoder,
    // An explicit decoder gets its own folder, so one artifact can be A/B'd with both.
    out: values.out ?? `runs/eval/${artifact.replace(/\/+$/, "").split("/").pop()}-${sampler}-s${steps}-seed${seed}${denoiser === "int8" ? "-int8" : ""}${decoder !== "auto" ? `-${decoder}` : ""}${values.clamp !== undefined ? `-clamp${values.clamp}` : ""}${values.candidates !== undefined ? `-k${values.candidates}` : ""}`,
    progress: !values["no-progress"],
    noMem: values["no-mem"] === true,
  };
  const g = num("guidance", values.guidance);
  if (g !== undefined) o.guidance = g;
  const k = num("candidates", values.candidates);
  if (k !== undefined) o.candidates = k;
  const c = num("clamp", values.clamp);
  if (c !== undefined) o.clamp = c;
  if (values.reflm) o.reflm = values.reflm;
  if (values.split) o.split = values.split;
  const r = num("references", values.references);
  if (r !== undefined) o.references = r;
  const b = num("batch", values.batch);
  if (b !== undefined) o.batchSize = b;
  if (values["cache-dir"]) o.cacheDir = values["cache-dir"];
  return o;
}

async function main(): Promise<void> {
  let o: EvalOptions;
  try {
    o = parseEvalArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const r = await evaluate(o);
  process.stdout.write(`${resultMarkdown(r)}\nwritten: ${o.out}/result.json, result.md, samples.jsonl\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
