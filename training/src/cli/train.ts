// `npm run train -- --task generate --data rocstories --preset small --config 2 --norm data --steps 8000 --out runs/x`
// Parses options (node:util parseArgs), runs the trainer, checkpoints and exits cleanly on
// SIGINT/SIGTERM (exit code 130/143 after the checkpoint is written).
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { ZodError } from "zod";
import { Trainer } from "../train/trainer.ts";
import type { TrainConfigInput } from "../train/config.ts";

const USAGE = `usage: npm run train -- --data <rocstories|wikipedia|xsum|wiki-pairs|wiki-paras|path> --out <dir> [options]

  --task generate|summarize     (default generate)
  --preset tiny|mini|small|base      (default tiny)
  --config 1|2|3                (default 3; 2 collapses when trained from scratch at small scale)
  --norm data|sphere|layer|batch (default data)
  --steps N  --batch B  --length L  --lr X   (defaults from the preset)
  --total-steps N               learning-rate horizon, fixed at the start of a run (default --steps);
                                a resumed run keeps it, so extending --steps never raises the rate
  --schedule tan-d|cosine|sqrt  --schedule-d X   noise schedule (default tan-d, d 9)
  --vocab N                     vocabulary size (default from the preset: 8192 for small)
  --time-cond input|blocks      Dif reads t at its input only (default) or also before every block
                                (per-block projections, zero at init: from an "input" checkpoint the
                                denoiser starts as the same function)
  --alpha X                     DataNorm/BatchNorm EMA rate (default 0.01)
  --seed N                      (default 0)
  --backend auto|tensorflow-gpu|tensorflow|wasm|cpu (default auto)
  --val-every N (200)  --val-examples N (256)  --ckpt-every N (500)
  --resume                      continue <out>/checkpoint exactly
  --init-from <checkpoint>      fine-tune from a checkpoint's weights and vocabulary
  --init-weights raw|ema        with --init-from: start from its raw weights (default) or its EMA
                                weights (what an export of it ships)
  --freeze-ae                   with --init-from: train Dif only, on the checkpoint's frozen Enc/Dec
  --decoder-only                with --init-from: train Dec only, on what the checkpoint's frozen
                                Dif predicts (and noised x0 at small t): the latents do not move
  --no-cache-encodings          with --freeze-ae/--decoder-only: encode every batch instead of the split once
  --cond-from fresh|encoder     summarize: CondEnc starts fresh (default) or as a copy of the text
                                encoder's trunk (CondEnc then has Enc's shape)
  --freeze-cond                 summarize: train only CondEnc's null condition; its document features
                                are computed once for the split (with the encoding cache)
  --max-train N                 read at most N training examples
  --warmup-steps N  --weight-decay X  --clip-norm X  --ema-decay X
  --self-cond-prob X (0.5)  --cond-dropout X (0.1)  --t-min X (1e-5)
  configuration 3 (all on by default with --config 3):
  --no-decoder-noise  --decoder-noise-tmax X (0.15)  --decoder-noise-rows X (share of rows, 0.25)
  --no-ae-warmup  --ae-warmup-steps N  --ae-ramp-steps N   (default 10 % of steps each)
  --no-adaptive-t
  --samples N (3)  --sample-steps N (50)   texts sampled (EMA weights, DDIM) at every validation
  --no-progress                 no progress bar
`;

const NUMERIC: Record<string, keyof TrainConfigInput> = {
  config: "config", steps: "steps", "total-steps": "totalSteps", "schedule-d": "scheduleD", vocab: "vocab", batch: "batch", length: "length", lr: "lr", alpha: "alpha", seed: "seed",
  "val-every": "valEvery", "val-examples": "valExamples", "ckpt-every": "ckptEvery", "max-train": "maxTrain",
  "warmup-steps": "warmupSteps", "weight-decay": "weightDecay", "clip-norm": "clipNorm", "ema-decay": "emaDecay",
  "self-cond-prob": "selfCondProb", "cond-dropout": "condDropout", "t-min": "tMin", "decoder-noise-tmax": "decoderNoiseTMax", "decoder-noise-rows": "decoderNoiseRows",
  "ae-warmup-steps": "aeWarmupSteps", "ae-ramp-steps": "aeRampSteps", samples: "samples", "sample-steps": "sampleSteps",
};

export function parseTrainArgs(argv: string[]): TrainConfigInput {
  const options = {
    task: { type: "string" }, data: { type: "string" }, "cond-from": { type: "string" }, "freeze-cond": { type: "boolean" }, schedule: { type: "string" }, "time-cond": { type: "string" }, preset: { type: "string" }, norm: { type: "string" }, out: { type: "string" },
    backend: { type: "string" }, "init-from": { type: "string" }, "init-weights": { type: "string" }, resume: { type: "boolean" }, "freeze-ae": { type: "boolean" }, "decoder-only": { type: "boolean" }, help: { type: "boolean", short: "h" },
    "decoder-noise": { type: "boolean" }, "no-decoder-noise": { type: "boolean" }, "ae-warmup": { type: "boolean" }, "no-ae-warmup": { type: "boolean" },
    "adaptive-t": { type: "boolean" }, "no-adaptive-t": { type: "boolean" }, "no-progress": { type: "boolean" }, "no-cache-encodings": { type: "boolean" },
    ...Object.fromEntries(Object.keys(NUMERIC).map((k) => [k, { type: "string" }])),
  } as const;
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  const v = values as Record<string, string | boolean | undefined>;
  if (v.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const cfg: Record<string, unknown> = {};
  for (const k of ["task", "data", "preset", "norm", "out", "backend", "schedule"] as const) if (v[k] !== undefined) cfg[k] = v[k];
  if (v["init-from"] !== undefined) cfg.initFrom = v["init-from"];
  if (v["init-weights"] !== undefined) cfg.initWeights = v["init-weights"];
  if (v["time-cond"] !== undefined) cfg.timeCond = v["time-cond"];
  if (v.resume) cfg.resume = true;
  if (v["freeze-ae"]) cfg.freezeAe = true;
  if (v["decoder-only"]) cfg.decoderOnly = true;
  if (v["cond-from"] !== undefined) cfg.condFrom = v["cond-from"];
  if (v["freeze-cond"]) cfg.freezeCond = true;
  for (const [flag, key] of Object.entries(NUMERIC)) {
    const raw = v[flag];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(n)) throw new Error(`--${flag} needs a number, got "${String(raw)}"`);
    cfg[key] = n;
  }
  const flag = (on: string, off: string): boolean | undefined => (v[off] ? false : v[on] ? true : undefined);
  const dn = flag("decoder-noise", "no-decoder-noise");
  const aw = flag("ae-warmup", "no-ae-warmup");
  const at = flag("adaptive-t", "no-adaptive-t");
  if (dn !== undefined) cfg.decoderNoise = dn;
  if (aw !== undefined) cfg.aeWarmup = aw;
  if (at !== undefined) cfg.adaptiveT = at;
  if (v["no-progress"]) cfg.progress = false;
  if (v["no-cache-encodings"]) cfg.cacheEncodings = false;
  return cfg as TrainConfigInput;
}

async function main(): Promise<void> {
  let trainer: Trainer;
  try {
    trainer = Trainer.create(parseTrainArgs(process.argv.slice(2)));
  } catch (e) {
    const msg = e instanceof ZodError ? e.issues.map((i) => `--${i.path.join(".").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}`).join("\n") : (e as Error).message;
    process.stderr.write(`error: ${msg}\n\n${USAGE}`);
    process.exit(2);
  }
  let signal: NodeJS.Signals | null = null;
  const onSignal = (s: NodeJS.Signals) => {
    if (signal) {
      process.stderr.write(`\n${s} again: exiting without waiting for the checkpoint\n`);
      process.exit(s === "SIGINT" ? 130 : 143);
    }
    signal = s;
    process.stderr.write(`\n${s}: finishing the current step, then writing a checkpoint…\n`);
    trainer.requestStop(s);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const summary = await trainer.run();
  const last = summary.last;
  const lastVal = summary.lastVal;
  process.stdout.write(
    `${JSON.stringify({ out: summary.out, stopped: summary.stopped, steps: last?.step ?? summary.startStep, seconds: Math.round(summary.seconds), backend: summary.backend.backend, dif: last?.dif, ce: last?.ce, valDif: lastVal?.dif, valCe: lastVal?.ce, reconAcc: lastVal?.reconAcc })}\n`,
  );
  if (summary.stopped === "signal") process.exit(signal === "SIGTERM" ? 143 : 130);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env.DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exit(1);
  });
}
