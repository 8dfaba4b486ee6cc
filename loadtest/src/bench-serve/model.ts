// Which generate model the benchmark runs: the newest generate artifact under --models (default
// models/), or — when models/ holds none and no --models was given — a random-weight artifact of the
// `small` preset (the shipped model's shapes, with denoiser_int8) written to a temp folder.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { FIRST_BPE_ID, modelConfigFromPreset, PRESETS, readArtifact } from "@ldtext/core";
import type { Manifest, PresetName } from "@ldtext/core";
import { placeholderVocabulary, writeRandomArtifact } from "@ldtext/export";
import type { ModelInfo } from "./summary.ts";

/** Folders holding a manifest.json of task `generate`, up to `depth` levels below `root`, newest first. */
export function findGenerateArtifacts(root: string, depth = 3): string[] {
  const found: { dir: string; createdAt: string }[] = [];
  const walk = (dir: string, level: number) => {
    const manifest = join(dir, "manifest.json");
    if (existsSync(manifest)) {
      try {
        const m = JSON.parse(readFileSync(manifest, "utf8")) as { task?: unknown; createdAt?: unknown };
        if (m.task === "generate") found.push({ dir, createdAt: String(m.createdAt ?? "") });
      } catch {
        // not a readable manifest: not a candidate
      }
      return;
    }
    if (level >= depth) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith(".")) walk(join(dir, e.name), level + 1);
  };
  walk(root, 0);
  return found.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((f) => f.dir);
}

export interface ChosenModel {
  dir: string;
  manifest: Manifest;
  info: ModelInfo;
}

function presetOf(m: Manifest): string | undefined {
  for (const [name, p] of Object.entries(PRESETS)) {
    if (p.maxLen === m.config.maxLen && p.latentDim === m.config.latentDim && p.dif.dModel === m.config.dif.dModel && p.dif.layers === m.config.dif.layers) return name;
  }
  return undefined;
}

export async function describe(dir: string, source: string): Promise<ChosenModel> {
  const manifest = await readArtifact(dir);
  if (manifest.task !== "generate") throw new Error(`${dir}: a ${manifest.task} model; bench:serve needs a generate model`);
  const { dModel, heads, layers, ffn } = manifest.config.dif;
  return {
    dir,
    manifest,
    info: {
      dir,
      id: manifest.id,
      version: manifest.version,
      source,
      preset: presetOf(manifest),
      L: manifest.config.maxLen,
      d: manifest.config.latentDim,
      dif: { dModel, heads, layers, ffn },
      hasInt8: manifest.graphs.denoiser_int8 !== undefined,
    },
  };
}

/**
 * `explicitDir`: --models as given (must hold a generate model). Otherwise `defaultDir` when it has
 * one, else a random `preset` artifact in `scratch`.
 */
export async function chooseModel(o: { explicitDir?: string; defaultDir: string; scratch: string; preset?: PresetName; log?: (s: string) => void }): Promise<ChosenModel> {
  if (o.explicitDir !== undefined) {
    const dirs = findGenerateArtifacts(o.explicitDir);
    if (dirs.length === 0) throw new Error(`no generate model (manifest.json with task "generate") under ${o.explicitDir}`);
    return describe(dirs[0], "--models");
  }
  const shipped = findGenerateArtifacts(o.defaultDir);
  if (shipped.length > 0) return describe(shipped[0], "models/");
  const preset = o.preset ?? "small";
  o.log?.(`no generate model under ${o.defaultDir}: writing a random-weight ${preset} artifact (with denoiser_int8) to ${o.scratch} …`);
  const vocabSize = FIRST_BPE_ID + PRESETS[preset].topK;
  const { dir } = await writeRandomArtifact({
    config: modelConfigFromPreset(preset, "generate", vocabSize),
    vocabulary: placeholderVocabulary(vocabSize),
    outDir: join(o.scratch, "generate"),
    seed: 1,
    name: `random-${preset}-generate`,
    version: "1",
    quantize: "int8",
  });
  return describe(dir, "random");
}
