// `npm run reflm:train -- --data rocstories|wikipedia|xsum-summaries --vocab-from <artifact|checkpoint> --out <dir> --steps N`
// Trains the evaluation's reference LM (see reflm.ts); rerunning the same command resumes an
// unfinished run from its last checkpoint.
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { trainRefLm, type RefLmTrainOptions } from "./train.ts";
import type { BackendKind } from "@ldtext/training";

const USAGE = `usage: npm run reflm:train -- --data <rocstories|wikipedia|xsum-summaries|path> --vocab-from <artifact or checkpoint> --out <dir> --steps N [options]

  --batch B (32)  --lr X (1e-3)  --length L (64, BOS and EOS included)
  --d-model D (128)  --heads H (4)  --layers N (2)  --ffn F (384)
  --max-train N       read at most N training texts
  --seed N (0)  --val-every N (200)  --ckpt-every N (500)
  --backend auto|wasm|cpu|tensorflow|tensorflow-gpu (auto)
  --no-progress
Rerunning with the same --out resumes an unfinished run.
`;

const NUM: Record<string, keyof RefLmTrainOptions> = {
  steps: "steps", batch: "batch", lr: "lr", length: "maxLen", "d-model": "dModel", heads: "heads", layers: "layers", ffn: "ffn",
  "max-train": "maxTrain", seed: "seed", "val-every": "valEvery", "ckpt-every": "ckptEvery",
};

export function parseRefLmArgs(argv: string[]): RefLmTrainOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      data: { type: "string" }, "vocab-from": { type: "string" }, out: { type: "string" }, backend: { type: "string" },
      "no-progress": { type: "boolean" }, help: { type: "boolean", short: "h" },
      ...Object.fromEntries(Object.keys(NUM).map((k) => [k, { type: "string" as const }])),
    },
  });
  const v = values as Record<string, string | boolean | undefined>;
  if (v.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  for (const req of ["data", "vocab-from", "out", "steps"]) if (v[req] === undefined) throw new Error(`--${req} is required`);
  const o: Record<string, unknown> = { data: v.data, vocabFrom: v["vocab-from"], out: v.out, progress: !v["no-progress"] };
  if (v.backend !== undefined) o.backend = v.backend as BackendKind;
  for (const [flag, key] of Object.entries(NUM)) {
    const raw = v[flag];
    if (raw === undefined) continue;
    const x = Number(raw);
    if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(x)) throw new Error(`--${flag} needs a number, got "${String(raw)}"`);
    o[key] = x;
  }
  return o as unknown as RefLmTrainOptions;
}

async function main(): Promise<void> {
  let opts: RefLmTrainOptions;
  try {
    opts = parseRefLmArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const s = await trainRefLm(opts);
  process.stdout.write(`${JSON.stringify(s)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
