// The served models directory (the server's MODELS_DIR): version folders `<root>/<id>/<version>/`,
// each an artifact with manifest.json. Promotion copies a verified artifact into a hidden temporary
// sibling (same file system, and hidden names are ignored by the server's scan), records the
// evaluation scores in its manifest, fsyncs, then renames it into place, so a scanning server sees
// the whole version or nothing. Retirement renames the folder away first for the same reason.
import { cp, readFile, readdir, rename, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseManifest, readArtifact, writeDirAtomic, writeManifest, type Manifest } from "@ldtext/core";

export interface VersionFolder {
  dir: string;
  id: string;
  version: string;
  task: string;
  createdAt: string;
}

/** Every artifact folder up to three levels below `root` (the depth the server scans), hidden folders skipped. */
export async function listVersions(root: string): Promise<VersionFolder[]> {
  const out: VersionFolder[] = [];
  async function walk(dir: string, level: number): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    if (entries.some((e) => e.isFile() && e.name === "manifest.json")) {
      try {
        const m = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as Record<string, unknown>;
        out.push({ dir, id: String(m.id), version: String(m.version), task: String(m.task), createdAt: String(m.createdAt) });
      } catch {
        // Not ours to judge: the server reports unreadable manifests itself.
      }
      return;
    }
    if (level >= 3) return;
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith(".")) await walk(join(dir, e.name), level + 1);
  }
  await walk(resolve(root), 0);
  return out;
}

/** The folder holding model `id` at `version`, if any. */
export async function findVersion(root: string, id: string, version: string): Promise<VersionFolder | undefined> {
  return (await listVersions(root)).find((v) => v.id === id && v.version === version);
}

export class PromoteError extends Error {
  override name = "PromoteError";
}

/** Where a version of model `id` goes: `<root>/<id>/<version>` (names checked so a version cannot escape the folder). */
export function versionDir(root: string, id: string, version: string): string {
  for (const [what, v] of [["model id", id], ["version", version]] as const) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(v)) throw new PromoteError(`${what} "${v}" cannot be a folder name (letters, digits, . _ + - only)`);
  }
  return join(resolve(root), id, version);
}

function sameGraphs(a: Manifest, b: Manifest): boolean {
  return JSON.stringify(a.graphs) === JSON.stringify(b.graphs);
}

/**
 * Installs `artifactDir` as a new version folder under `root`, with `evaluation` recorded in its
 * manifest and `createdAt` set to now. Verifies the source first (sha256 of every graph). When the target already holds the same
 * graphs (a promotion that finished before a crash), it is left as is; anything else there is an error.
 */
export async function promoteArtifact(artifactDir: string, root: string, evaluation: Record<string, number | string>): Promise<{ dir: string; manifest: Manifest; alreadyThere: boolean }> {
  const source = await readArtifact(artifactDir);
  const dir = versionDir(root, source.id, source.version);
  if (await stat(dir).then(() => true, () => false)) {
    const there = await readArtifact(dir).catch((e: unknown) => {
      throw new PromoteError(`${dir} already exists and is not a valid artifact (${(e as Error).message}); remove it or choose another version`);
    });
    if (!sameGraphs(there, source)) throw new PromoteError(`${dir} already holds a different artifact for ${source.id}@${source.version}; choose another version`);
    return { dir, manifest: there, alreadyThere: true };
  }
  // createdAt becomes the promotion time: the server serves the newest version by createdAt, and an
  // older artifact promoted later must win over what is serving.
  const manifest: Manifest = { ...source, createdAt: new Date().toISOString(), evaluation };
  await writeDirAtomic(dir, async (tmp) => {
    await cp(artifactDir, tmp, { recursive: true });
    await writeManifest(tmp, manifest); // replaces the copied manifest, now with the scores
    await readArtifact(tmp); // the copy is checked before anyone can see it
  });
  return { dir, manifest, alreadyThere: false };
}

/** Removes a version folder: renamed to a hidden name first (the server never sees half a folder), then deleted. */
export async function retireVersion(dir: string): Promise<boolean> {
  const abs = resolve(dir);
  if (!(await stat(abs).then(() => true, () => false))) return false;
  const hidden = join(abs, "..", `.retired-${abs.split("/").pop()}-${process.pid}-${Date.now()}`);
  await rename(abs, hidden);
  await rm(hidden, { recursive: true, force: true });
  return true;
}

/** The recorded evaluation scores of a version folder (its manifest's `evaluation`), if any. */
export async function recordedEvaluation(dir: string): Promise<Record<string, number | string> | undefined> {
  const m = parseManifest(JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")), join(dir, "manifest.json"));
  return m.evaluation;
}
