// Options of `npm run pipeline` (see cli.ts for the command line).
import { parseArgs } from "node:util";
import { isAbsolute, resolve } from "node:path";
import { PRESETS, type PresetName } from "@ldtext/core";
import { FLOOR_NAMES, FLOORS, parseFloors } from "../floors.ts";
import { PipelineInputError, type PipelineOptions } from "./run.ts";
import { STAGES, type StageName } from "./state.ts";

export const USAGE = `usage: npm run pipeline -- --preset tiny|mini|small|base --data <rocstories|wikipedia|xsum|path> [options]

  --task generate|summarize   (default generate)
  --steps N                   training steps (default: the preset's)
  --run-dir DIR               state, logs, checkpoint, artifact, evaluation (default runs/pipeline/<preset>-<task>)
  --models-dir DIR            the server's MODELS_DIR (default $MODELS_DIR or models)
  --server-url URL            the running server (default http://127.0.0.1:8080)
  --api-key K                 inference key for the smoke test (default $LDTEXT_API_KEY)
  --admin-key K               admin key for POST /admin/reload (default $LDTEXT_ADMIN_KEY; without
                              it the server's MODEL_POLL_MS scan must pick the version up)
  --tolerance X               gate slack vs the model serving the task, relative (default 0.02)
  --floor NAME=X|off          an absolute floor of the gate (repeatable; held even by a first
                              deployment). Defaults: ${FLOOR_NAMES.map((n) => `${n} ${FLOORS[n].bound} ${FLOORS[n].default}`).join(", ")}
  --samples N                 evaluation samples (default 200)
  --eval-steps N              denoising steps when evaluating (default 50)
  --model ID                  the new version's model id (default: the id serving the task now; a new
                              id answers only requests naming it; required when nothing serves the task)
  --version V                 the new version (default: UTC time)
  --reflm DIR                 reference LM for PPL/MAUVE/BERTScore (npm run reflm:train)
  --train-arg=--flag          extra flag for npm run train (repeatable; e.g. --train-arg=--val-examples=16)
  --force-gate-fail           testing: fail the gate whatever the scores (same as --fail-stage gate)
  --fail-stage STAGE          testing: make STAGE fail after its work (${STAGES.join(", ")})
`;

function positive(flag: string, raw: string | undefined, integer: boolean): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new PipelineInputError(`--${flag} needs a positive ${integer ? "integer" : "number"}, got "${raw}"`);
  return n;
}

/** Options from argv; relative paths are taken from where npm was run (INIT_CWD). */
export function parsePipelineArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): PipelineOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      preset: { type: "string" }, task: { type: "string" }, data: { type: "string" }, steps: { type: "string" },
      "run-dir": { type: "string" }, "models-dir": { type: "string" }, "server-url": { type: "string" },
      "api-key": { type: "string" }, "admin-key": { type: "string" }, tolerance: { type: "string" }, samples: { type: "string" },
      "eval-steps": { type: "string" }, model: { type: "string" }, version: { type: "string" }, reflm: { type: "string" },
      "train-arg": { type: "string", multiple: true }, floor: { type: "string", multiple: true }, "force-gate-fail": { type: "boolean" }, "fail-stage": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const preset = values.preset;
  if (preset === undefined || !(preset in PRESETS)) throw new PipelineInputError(`--preset must be one of ${Object.keys(PRESETS).join(", ")}`);
  const task = values.task ?? "generate";
  if (task !== "generate" && task !== "summarize") throw new PipelineInputError(`--task must be generate or summarize, got "${task}"`);
  if (values.data === undefined) throw new PipelineInputError("--data is required (rocstories, wikipedia, xsum, wiki-pairs, or a .jsonl[.gz] file or folder)");
  const fail = values["force-gate-fail"] ? "gate" : values["fail-stage"];
  if (fail !== undefined && !(STAGES as readonly string[]).includes(fail)) throw new PipelineInputError(`--fail-stage must be one of ${STAGES.join(", ")}`);
  const tolerance = values.tolerance === undefined ? 0.02 : Number(values.tolerance);
  if (!(tolerance >= 0 && tolerance < 1)) throw new PipelineInputError(`--tolerance must be in [0, 1), got "${values.tolerance}"`);
  const serverUrl = values["server-url"] ?? "http://127.0.0.1:8080";
  if (!URL.canParse(serverUrl)) throw new PipelineInputError(`--server-url is not a URL: "${serverUrl}"`);
  const base = env.INIT_CWD ?? process.cwd();
  const path = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const named = ["rocstories", "wikipedia", "xsum", "wiki-pairs"].includes(values.data);
  const o: PipelineOptions = {
    preset: preset as PresetName,
    task,
    data: named ? values.data : path(values.data),
    runDir: path(values["run-dir"] ?? `runs/pipeline/${preset}-${task}`),
    modelsDir: path(values["models-dir"] ?? env.MODELS_DIR ?? "models"),
    serverUrl,
    tolerance,
    samples: positive("samples", values.samples, true) ?? 200,
    evalSteps: positive("eval-steps", values["eval-steps"], true) ?? 50,
    trainArgs: values["train-arg"] ?? [],
  };
  const steps = positive("steps", values.steps, true);
  if (steps !== undefined) o.steps = steps;
  const apiKey = values["api-key"] ?? env.LDTEXT_API_KEY;
  if (apiKey) o.apiKey = apiKey;
  const adminKey = values["admin-key"] ?? env.LDTEXT_ADMIN_KEY;
  if (adminKey) o.adminKey = adminKey;
  if (values.model) o.model = values.model;
  if (values.version) o.version = values.version;
  if (values.reflm) o.reflm = path(values.reflm);
  if (fail) o.failStage = fail as StageName;
  try {
    if (values.floor !== undefined) o.floors = parseFloors(values.floor);
  } catch (e) {
    throw new PipelineInputError((e as Error).message);
  }
  return o;
}

