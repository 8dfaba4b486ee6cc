// Assembles the artifact manifest from what export knows. The schema (ManifestSchema), its
// validation and the atomic write belong to @ldtext/core; this module only maps export's data onto it.
import type { GraphEntry, GraphRole, Manifest, ModelConfig, NormState, TrainingRecord, Vocabulary } from "@ldtext/core";

export interface ManifestInput {
  id: string;
  version: string;
  config: ModelConfig;
  vocabulary: Vocabulary;
  norm: NormState;
  graphs: Partial<Record<GraphRole, GraphEntry>>;
  training: TrainingRecord;
  evaluation?: Record<string, number | string>;
  samples?: string[];
  sampling?: Manifest["sampling"];
}

export function buildManifest(m: ManifestInput): Manifest {
  return {
    schemaVersion: 1,
    id: m.id,
    version: m.version,
    task: m.config.task,
    createdAt: new Date().toISOString(),
    config: m.config,
    vocabulary: m.vocabulary,
    normalization: {
      kind: m.norm.kind,
      alpha: m.config.normAlpha,
      ...(m.norm.mean ? { mean: Array.from(m.norm.mean) } : {}),
      ...(m.norm.sq ? { sq: Array.from(m.norm.sq) } : {}),
    },
    latent: { length: m.config.maxLen, dim: m.config.latentDim },
    graphs: m.graphs,
    training: m.training,
    ...(m.evaluation ? { evaluation: m.evaluation } : {}),
    ...(m.samples ? { samples: m.samples } : {}),
    ...(m.sampling ? { sampling: m.sampling } : {}),
  };
}
