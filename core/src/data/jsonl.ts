// Streaming JSON Lines reader: `.jsonl.gz` (gunzip) or plain `.jsonl`, one parsed object at a time,
// so a 140 MB corpus never sits in memory. Errors name the file and the line.
import { createReadStream } from "node:fs";
import { access } from "node:fs/promises";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import type { Readable } from "node:stream";

export class DataFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    message: string,
  ) {
    super(`${file}${line === null ? "" : `:${line}`}: ${message}`);
    this.name = "DataFileError";
  }
}

/** Yield each non-empty line of `path` parsed as JSON (gzip-decompressed when the name ends in .gz). */
export async function* readJsonl(path: string): AsyncGenerator<unknown> {
  for await (const entry of readJsonlEntries(path)) yield entry.value;
}

/** As readJsonl, with each value's 1-based line number (for error messages). */
export async function* readJsonlEntries(path: string): AsyncGenerator<{ line: number; value: unknown }> {
  try {
    await access(path);
  } catch {
    throw new DataFileError(path, null, "file not found");
  }
  const file = createReadStream(path);
  let source: Readable = file;
  if (path.endsWith(".gz")) {
    const gunzip = createGunzip();
    file.on("error", (err) => gunzip.destroy(err));
    source = file.pipe(gunzip);
  }
  // readline swallows stream errors; capture them to rethrow with the file name.
  let streamError: Error | null = null;
  source.on("error", (err) => {
    streamError = err;
  });
  const lines = createInterface({ input: source, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        throw new DataFileError(path, lineNo, `invalid JSON (${(err as Error).message})`);
      }
      yield { line: lineNo, value };
    }
  } catch (err) {
    if (err instanceof DataFileError) throw err;
    throw new DataFileError(path, lineNo, `cannot read: ${(err as Error).message}`);
  } finally {
    lines.close();
    source.destroy();
    file.destroy();
  }
  if (streamError !== null) throw new DataFileError(path, lineNo, `cannot read: ${(streamError as Error).message}`);
}

/** Collect an async iterable into an array (at most `limit` items). */
export async function collect<T>(items: AsyncIterable<T>, limit = Infinity): Promise<T[]> {
  const out: T[] = [];
  if (limit <= 0) return out;
  for await (const item of items) {
    out.push(item);
    if (out.length >= limit) break;
  }
  return out;
}
