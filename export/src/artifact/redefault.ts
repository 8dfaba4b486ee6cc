// A new version of an artifact with the same networks and other served defaults (manifest
// `sampling`: guidance, clamp, candidates), for a default chosen by evaluation after the artifact shipped.
// Versions are immutable (a seed and a version give one text), so changing what a request without
// the field gets means a new version, not an edit. The graph files are copied byte for byte (git
// stores them once) and checked against the source's sha256; the folder appears atomically.
import { copyFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type Manifest, readArtifact, writeDirAtomic, writeManifest } from "@ldtext/core";

export interface RedefaultOptions {
  /** The new version string (must differ from the source's). */
  version: string;
  guidance?: number;
  clamp?: number;
  candidates?: number;
  /** Why, in a sentence; kept in the manifest's evaluation record as `defaultsNote`. */
  note?: string;
}

export async function redefaultArtifact(srcDir: string, outDir: string, o: RedefaultOptions): Promise<Manifest> {
  const src = await readArtifact(resolve(srcDir));
  if (o.version === src.version) throw new Error(`--version ${o.version} is the source's own version: a changed default needs a new version`);
  if (o.guidance === undefined && o.clamp === undefined && o.candidates === undefined) throw new Error("nothing to change: give --guidance, --clamp and/or --candidates");
  const files = Object.values(src.graphs).flatMap((g) => [g.file, ...(g.externalData ? [g.externalData.file] : []), ...(g.check ? [g.check.file] : [])]);
  const manifest: Manifest = {
    ...src,
    version: o.version,
    createdAt: new Date().toISOString(),
    sampling: { ...src.sampling, ...(o.guidance !== undefined ? { guidance: o.guidance } : {}), ...(o.clamp !== undefined ? { clamp: o.clamp } : {}), ...(o.candidates !== undefined ? { candidates: o.candidates } : {}) },
    evaluation: { ...src.evaluation, derivedFrom: `${src.id}@${src.version}`, ...(o.note ? { defaultsNote: o.note } : {}) },
  };
  await writeDirAtomic(resolve(outDir), async (tmp) => {
    for (const f of files) await copyFile(join(resolve(srcDir), f), join(tmp, f));
    await writeManifest(tmp, manifest);
    // Re-read in place: the schema (clamp needs the encoder, candidates a summarizer) and every copied file's sha256.
    await readArtifact(tmp);
  });
  return manifest;
}
