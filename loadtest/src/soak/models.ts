// The soak serves a private copy of the models (hard links where the file system allows, copies
// otherwise) so its hot reload can add a version folder without touching the source folder.
import { copyFile, link, mkdir, readFile, readdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

interface Artifact {
  dir: string;
  id: string;
  version: string;
  createdAt: string;
}

async function findArtifacts(root: string, depth = 3): Promise<Artifact[]> {
  const out: Artifact[] = [];
  const walk = async (dir: string, level: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    if (entries.some((e) => e.isFile() && e.name === "manifest.json")) {
      const m = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as { id: string; version: string; createdAt: string };
      out.push({ dir, id: m.id, version: m.version, createdAt: m.createdAt });
      return;
    }
    if (level >= depth) return;
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith(".")) await walk(join(dir, e.name), level + 1);
  };
  await walk(root, 0);
  return out;
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

async function cloneFolder(from: string, to: string, manifest?: (m: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const e of await readdir(from, { withFileTypes: true })) {
    if (!e.isFile()) continue;
    if (e.name === "manifest.json" && manifest) {
      const m = JSON.parse(await readFile(join(from, e.name), "utf8")) as Record<string, unknown>;
      await writeFile(join(to, e.name), `${JSON.stringify(manifest(m), null, 2)}\n`);
    } else await linkOrCopy(join(from, e.name), join(to, e.name));
  }
}

export interface SoakModels {
  dir: string;
  served: { id: string; version: string }[];
  /** Adds a new version of the first model (same graphs, a newer createdAt), written atomically. */
  addVersion(): Promise<{ id: string; version: string }>;
}

/** Copies the newest version of each model id under `source` into `target`. */
export async function prepareModels(source: string, target: string): Promise<SoakModels> {
  const all = await findArtifacts(source);
  const newest = new Map<string, Artifact>();
  for (const a of all.sort((x, y) => y.createdAt.localeCompare(x.createdAt) || y.version.localeCompare(x.version, undefined, { numeric: true }))) if (!newest.has(a.id)) newest.set(a.id, a);
  if (newest.size === 0) throw new Error(`no model artifact (manifest.json) under ${source}`);
  const served = [...newest.values()].sort((a, b) => a.id.localeCompare(b.id));
  for (const a of served) await cloneFolder(a.dir, join(target, a.id, a.version));
  let n = 0;
  return {
    dir: target,
    served: served.map((a) => ({ id: a.id, version: a.version })),
    async addVersion() {
      const a = served[0];
      const version = `${a.version}-soak.${++n}`;
      const tmp = join(target, `.incoming-${a.id}-${n}`);
      await cloneFolder(join(target, a.id, a.version), tmp, (m) => ({ ...m, version, createdAt: new Date().toISOString() }));
      await rename(tmp, join(target, a.id, version));
      return { id: a.id, version };
    },
  };
}

