// The run's JSONL log (`<out>/log.jsonl`): one record per training step, validation and sample set.
// On resume the log is cut back to the checkpoint's step (a killed run may have logged past it).
import { readFile, writeFile, appendFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { writeFileAtomic } from "@ldtext/core";
import type { StepLosses } from "./objective.ts";
import type { SnrProbe } from "./snr-probe.ts";

export interface TrainRecord extends Partial<StepLosses> {
  kind: "train";
  step: number;
  lr: number;
  coupling: number;
  selfCond: boolean;
  gradNormDif: number;
  gradNormAe: number;
  tokensPerSec: number;
  elapsedSec: number;
  /** Training seconds so far, counting the runs this one resumed or was initialized from. */
  trainSec?: number;
  /** Estimated training FLOPs so far, counted the same way (flops.ts). */
  trainFlops?: number;
}

export interface ValRecord {
  kind: "val";
  step: number;
  /** L_dif at fixed noise, no self-conditioning. */
  dif: number;
  /** CE(w, Dec(x̂0)) at the same noise. */
  ce: number;
  /** Decoder on clean latents Dec(x0): CE and token accuracy over non-PAD positions. */
  reconCe: number;
  reconAcc: number;
  /** L_dif and Dec(x̂0) token accuracy at fixed SNRs (snr-probe.ts): the curves that decide recipes. */
  snr?: SnrProbe[];
  /** Summarize: the same probes with the null condition in place of every document (snr − snrNull = what the document adds). */
  snrNull?: SnrProbe[];
  /** Seconds of training so far (this run and, with --init-from, the runs before it), for plots against hours. */
  trainSec?: number;
}

export interface SamplesRecord {
  kind: "samples";
  step: number;
  /** DDIM steps and the texts (EMA weights). */
  steps: number;
  texts: string[];
}

export type LogRecord = TrainRecord | ValRecord | SamplesRecord;

/** The records so far (in memory and on disk) and the latest training and validation records. */
export class RunLog {
  lastTrain: TrainRecord | undefined;
  lastVal: ValRecord | undefined;

  private constructor(readonly path: string, readonly history: LogRecord[]) {
    this.lastTrain = [...history].reverse().find((r): r is TrainRecord => r.kind === "train");
    this.lastVal = [...history].reverse().find((r): r is ValRecord => r.kind === "val");
  }

  /** A fresh log, or on resume the existing one cut back to `step`. */
  static async open(path: string, step: number, resuming: boolean): Promise<RunLog> {
    return new RunLog(path, await prepareLog(path, step, resuming));
  }

  async append<R extends LogRecord>(rec: R): Promise<R> {
    if (rec.kind === "train") this.lastTrain = rec;
    else if (rec.kind === "val") this.lastVal = rec;
    this.history.push(rec);
    await appendFile(this.path, `${JSON.stringify(rec)}\n`);
    return rec;
  }
}

async function prepareLog(path: string, step: number, resuming: boolean): Promise<LogRecord[]> {
  if (!resuming || !existsSync(path)) {
    await writeFile(path, "");
    return [];
  }
  const kept = (await readFile(path, "utf8"))
    .split("\n")
    .filter((l) => l.trim() !== "")
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as LogRecord];
      } catch {
        return []; // a line torn by the kill
      }
    })
    .filter((r) => r.step <= step);
  await writeFileAtomic(path, kept.map((r) => `${JSON.stringify(r)}\n`).join(""));
  return kept;
}
