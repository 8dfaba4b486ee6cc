// Atomic folder publication: files are written into a hidden temporary sibling (`.<name>.partial-…`),
// each fsynced, the folder fsynced, then renamed over the target. An interrupted export leaves only a
// `.partial-` folder, never something at the target path that looks like a complete artifact.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { randomBytes } from "node:crypto";

function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class AtomicDir {
  readonly target: string;
  readonly tmp: string;
  private done = false;

  constructor(target: string) {
    this.target = resolve(target);
    mkdirSync(dirname(this.target), { recursive: true });
    this.tmp = join(dirname(this.target), `.${basename(this.target)}.partial-${process.pid}-${randomBytes(4).toString("hex")}`);
    mkdirSync(this.tmp);
  }

  /** Writes and fsyncs one file inside the temporary folder. */
  write(name: string, data: Uint8Array | string): string {
    if (this.done) throw new Error("AtomicDir already committed or aborted");
    if (name.includes("/") || name.startsWith(".")) throw new Error(`artifact file name ${name} must be a plain name`);
    const path = join(this.tmp, name);
    const fd = openSync(path, "w");
    try {
      const bytes = typeof data === "string" ? Buffer.from(data) : data;
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return path;
  }

  /** Publishes the folder at the target path, replacing an existing one. */
  commit(): void {
    if (this.done) throw new Error("AtomicDir already committed or aborted");
    fsyncPath(this.tmp);
    let old: string | null = null;
    if (existsSync(this.target)) {
      old = `${this.tmp}.old`;
      renameSync(this.target, old);
    }
    renameSync(this.tmp, this.target);
    fsyncPath(dirname(this.target));
    this.done = true;
    if (old) rmSync(old, { recursive: true, force: true });
  }

  /** Removes the temporary folder (after an error). */
  abort(): void {
    if (this.done) return;
    this.done = true;
    rmSync(this.tmp, { recursive: true, force: true });
  }
}
