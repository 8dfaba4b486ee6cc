// The trainer's own resume state, stored as `extra.trainer` of a checkpoint: the positions of every
// random stream and of the data order that the weights and optimizer moments do not capture. Written
// and read only here, and validated on read (a checkpoint is a file another version may have written).
// Beside it, `extra.backend`: the TF.js backend that wrote the checkpoint (resume is exact only on it).
import { z } from "zod";
import type { LoadedCheckpoint, SeededRandom } from "@ldtext/core";
import type { BatchSampler } from "./data.ts";
import type { TimestepSampler } from "./timesteps.ts";

const count = z.number().int().nonnegative();

export const TrainerStateSchema = z.object({
  /** The step-level uniform stream (timesteps, self-conditioning, condition dropout, decoder noise). */
  rng: z.object({ seed: count, drawn: count }),
  /** The seeded per-epoch shuffle's position. */
  data: z.object({ epoch: count, index: count }),
  /** The adaptive timestep bins (timesteps.ts). */
  timesteps: z.object({ ema: z.array(z.number()), seen: z.array(z.boolean()) }),
});

export type TrainerState = z.infer<typeof TrainerStateSchema>;

/** The state of a run now, as `extra.trainer` of its checkpoint. */
export function captureTrainerState(rng: SeededRandom, sampler: BatchSampler, timesteps: TimestepSampler): TrainerState {
  return { rng: rng.state(), data: { ...sampler.position }, timesteps: timesteps.state() };
}

/** The trainer state of a checkpoint to resume from; throws when it is missing or malformed. */
export function readTrainerState(ckpt: LoadedCheckpoint): TrainerState {
  const raw = ckpt.extra?.trainer;
  if (raw === undefined) throw new Error(`${ckpt.dir}: checkpoint lacks the trainer state`);
  const parsed = TrainerStateSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${ckpt.dir}: invalid trainer state (${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")})`);
  return parsed.data;
}

/** The `[resume]` note when this run's backend differs from the one that wrote the checkpoint (null when the same or unrecorded). */
export function backendChangeNote(ckpt: Pick<LoadedCheckpoint, "extra">, backend: string): string | null {
  const trainedOn = ckpt.extra?.backend;
  if (typeof trainedOn !== "string" || trainedOn === backend) return null;
  return `[resume] the checkpoint was trained on the ${trainedOn} backend, this run uses ${backend}: it continues, but not bit for bit as the run would have`;
}
