// `npm run train:ardec -- --init-from models/rocstories-generate/1.2.0 --data rocstories --steps 3000 --out runs/ard1`
// Trains the autoregressive decoder ArDec on a trained model's frozen encoder and denoiser
// (training/src/ardec/trainer.ts); SIGINT/SIGTERM write a checkpoint, `--resume` continues it.
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { type ArDecTrainOptions, trainArDecoder } from "../ardec/trainer.ts";

const USAGE = `usage: npm run train:ardec -- --init-from <checkpoint|artifact> --data <corpus> --out <dir> --steps N [options]

  --init-from <dir>         the trained model (Enc, Dif, norm stay frozen; its Dec/Enc start ArDec)
  --data <corpus>           the texts the model generates (rocstories, xsum, a .jsonl path, …)
  --steps N  --total-steps N (learning-rate horizon, default --steps)  --lr X (3e-4)  --warmup-steps N (100)
  --batch B (32)  --seed N (0)  --max-train N
  --init dec|fresh          ArDec starts from Dec's trunk + Enc's embedding (default) or fresh
  --layers N --d-model D --heads H --ffn F   ArDec's shape (default: Dec's)
  --noisy-rows X (0.25)  --noise-tmax X (0.15)      rows of x0 noised at t ≤ tmax
  --denoised-rows X (0.5)  --denoised-snr-min X (0.5) rows of x̂0 = Dif(x_t) at SNR ≥ min
  --val-every N (250)  --val-examples N (256)  --ckpt-every N (250)
  --resume                  continue <out>/checkpoint (--steps may be raised)
  --no-progress
`;

export function parseArDecArgs(argv: string[]): ArDecTrainOptions {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      "init-from": { type: "string" }, data: { type: "string" }, out: { type: "string" }, steps: { type: "string" }, "total-steps": { type: "string" },
      lr: { type: "string" }, "warmup-steps": { type: "string" }, batch: { type: "string" }, seed: { type: "string" }, "max-train": { type: "string" },
      init: { type: "string" }, layers: { type: "string" }, "d-model": { type: "string" }, heads: { type: "string" }, ffn: { type: "string" },
      "noisy-rows": { type: "string" }, "noise-tmax": { type: "string" }, "denoised-rows": { type: "string" }, "denoised-snr-min": { type: "string" },
      "val-every": { type: "string" }, "val-examples": { type: "string" }, "ckpt-every": { type: "string" }, resume: { type: "boolean" }, "no-progress": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (v.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const num = (name: string, x: string | undefined): number | undefined => {
    if (x === undefined) return undefined;
    const n = Number(x);
    if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got "${x}"`);
    return n;
  };
  if (!v.out) throw new Error("--out is required");
  if (!v.resume && !v.data) throw new Error("--data is required");
  const steps = num("steps", v.steps);
  if (steps === undefined || steps < 1) throw new Error("--steps N (≥ 1) is required");
  if (v.init !== undefined && v.init !== "dec" && v.init !== "fresh") throw new Error(`--init must be dec or fresh, got "${v.init}"`);
  const shape = [v.layers, v["d-model"], v.heads, v.ffn];
  if (shape.some((x) => x !== undefined) && shape.some((x) => x === undefined)) throw new Error("--layers, --d-model, --heads and --ffn go together");
  return {
    data: v.data ?? "", out: v.out, steps, resume: v.resume ?? false, progress: !v["no-progress"],
    ...(v["init-from"] !== undefined ? { initFrom: v["init-from"] } : {}),
    ...(v.init !== undefined ? { init: v.init } : {}),
    ...(shape[0] !== undefined ? { arDec: { layers: num("layers", v.layers)!, dModel: num("d-model", v["d-model"])!, heads: num("heads", v.heads)!, ffn: num("ffn", v.ffn)! } } : {}),
    ...Object.fromEntries(
      ([["totalSteps", "total-steps"], ["lr", "lr"], ["warmupSteps", "warmup-steps"], ["batch", "batch"], ["seed", "seed"], ["maxTrain", "max-train"],
        ["noisyRows", "noisy-rows"], ["noiseTMax", "noise-tmax"], ["denoisedRows", "denoised-rows"], ["denoisedSnrMin", "denoised-snr-min"],
        ["valEvery", "val-every"], ["valExamples", "val-examples"], ["ckptEvery", "ckpt-every"]] as const)
        .flatMap(([key, flag]) => (v[flag] !== undefined ? [[key, num(flag, v[flag])]] : [])),
    ),
  };
}

async function main(): Promise<void> {
  let opts: ArDecTrainOptions;
  try {
    opts = parseArDecArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  let signal: NodeJS.Signals | null = null;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      if (signal) process.exit(sig === "SIGINT" ? 130 : 143);
      signal = sig;
      process.stderr.write(`${sig}: finishing the current step, then writing a checkpoint…\n`);
    });
  }
  try {
    const summary = await trainArDecoder(opts, () => signal !== null);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    if (signal) process.exit(signal === "SIGINT" ? 130 : 143);
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
