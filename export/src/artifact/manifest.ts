// The manifest export writes. The schema itself belongs to @ldtext/core (ManifestSchema); this module
// only assembles the object from what export knows.
import type { ModelConfig, Vocabulary } from "@ldtext/core";
import type { NormState } from "../networks/graphs.ts";

export const MANIFEST_FILE = "manifest.json";

export interface IoSpec {
  name: string;
  type: "float32" | "int64";
  /** Fixed sizes or the symbolic names B, L, S. */
  shape: (number | string)[];
}

export interface FileEntry {
  file: string;
  sha256: string;
  bytes: number;
}

export interface GraphEntry extends FileEntry {
  precision: "fp32" | "fp16" | "int8";
  /** External weights beside the graph. */
  data?: FileEntry;
  inputs: IoSpec[];
  outputs: IoSpec[];
}

export interface ArtifactManifest {
  format: "ldtext-artifact";
  formatVersion: 1;
  name: string;
  version: string;
  createdAt: string;
  task: ModelConfig["task"];
  config: ModelConfig;
  vocabulary: Vocabulary;
  normalization: { kind: NormState["kind"]; mean?: number[]; sq?: number[] };
  schedule: ModelConfig["schedule"];
  latent: { length: number; dim: number };
  weightStorage: "fp32" | "fp16";
  graphs: Record<string, GraphEntry>;
  training?: Record<string, unknown>;
  evaluation?: Record<string, unknown>;
}

export interface ManifestInput {
  name: string;
  version: string;
  config: ModelConfig;
  vocabulary: Vocabulary;
  norm: NormState;
  weightStorage: "fp32" | "fp16";
  graphs: Record<string, GraphEntry>;
  training?: Record<string, unknown>;
  evaluation?: Record<string, unknown>;
}

export function buildManifest(m: ManifestInput): ArtifactManifest {
  return {
    format: "ldtext-artifact",
    formatVersion: 1,
    name: m.name,
    version: m.version,
    createdAt: new Date().toISOString(),
    task: m.config.task,
    config: m.config,
    vocabulary: m.vocabulary,
    normalization: {
      kind: m.norm.kind,
      ...(m.norm.mean ? { mean: Array.from(m.norm.mean) } : {}),
      ...(m.norm.sq ? { sq: Array.from(m.norm.sq) } : {}),
    },
    schedule: m.config.schedule,
    latent: { length: m.config.maxLen, dim: m.config.latentDim },
    weightStorage: m.weightStorage,
    graphs: m.graphs,
    ...(m.training ? { training: m.training } : {}),
    ...(m.evaluation ? { evaluation: m.evaluation } : {}),
  };
}
