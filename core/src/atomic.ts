// Atomic file and folder writes: readers see the old content or the new, never a partial one.
// A file is written under a temporary name in the same folder (same file system, so rename is
// atomic), fsynced, then renamed over the target; the folder is fsynced so the rename survives a
// crash. A folder is built under a temporary sibling name and renamed into place.
import { open, rename, rm, mkdir, readdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o644). */
  mode?: number;
  /**
   * Called after the temporary file is complete and fsynced, before the rename. A hook for tests
   * that simulate a crash at the worst moment; production code leaves it unset.
   */
  beforeRename?: (tempPath: string) => void | Promise<void>;
}

function tempSibling(path: string, tag: string): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${randomBytes(4).toString("hex")}`);
}

async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, "r");
    await fh.sync();
  } catch {
    // Some platforms/file systems cannot fsync a directory; the rename is still atomic there.
  } finally {
    await fh?.close();
  }
}

/** Write `data` to `path` atomically (temp name in the same folder, fsync, rename, fsync folder). */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const tmp = tempSibling(path, "tmp");
  let renamed = false;
  try {
    const fh = await open(tmp, "wx", options.mode ?? 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await options.beforeRename?.(tmp);
    await rename(tmp, path);
    renamed = true;
    await fsyncDir(dirname(path));
  } finally {
    if (!renamed) await rm(tmp, { force: true });
  }
}

async function fsyncTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) await fsyncTree(p);
    else if (entry.isFile()) {
      const fh = await open(p, "r");
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
  }
  await fsyncDir(dir);
}

export interface AtomicDirOptions {
  /** Replace an existing folder (default false: an existing target is an error). */
  replace?: boolean;
}

/**
 * Create folder `dir` atomically: `build` fills a temporary sibling folder, which is then fsynced and
 * renamed to `dir`. If `build` throws, the temporary folder is removed and `dir` is untouched.
 * With `replace`, an existing `dir` is first renamed aside and deleted after the swap (a reader in
 * that instant may find no folder, but never a half-written one).
 */
export async function writeDirAtomic(dir: string, build: (tmpDir: string) => void | Promise<void>, options: AtomicDirOptions = {}): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const exists = await stat(dir).then(() => true, () => false);
  if (exists && !options.replace) throw new Error(`${dir} already exists (pass { replace: true } to replace it)`);
  const tmp = tempSibling(dir, "build");
  await mkdir(tmp);
  try {
    await build(tmp);
    await fsyncTree(tmp);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  if (exists) {
    const old = tempSibling(dir, "old");
    await rename(dir, old);
    try {
      await rename(tmp, dir);
    } catch (err) {
      await rename(old, dir);
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(tmp, dir);
  }
  await fsyncDir(dirname(dir));
}
