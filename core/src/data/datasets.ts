// The corpora in the data directory (see ../shared/data/README.md): ROCStories and Wikipedia lines
// `{text}`, XSum lines `{document, summary, id}`, and XSum-style pairs built from Wikipedia leads.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readJsonlEntries, DataFileError } from "./jsonl.ts";

export type TextDataset = "rocstories" | "wikipedia";
export interface DataOptions {
  /** Overrides dataDir() (tests, other machines). */
  dataDir?: string;
}

/** `DATA_DIR` from the environment, else `<repo>/../shared/data`. */
export function dataDir(): string {
  const env = process.env.DATA_DIR;
  if (env && env.trim() !== "") return env;
  return fileURLToPath(new URL("../../../../shared/data", import.meta.url));
}

/**
 * The file of a split: a dataset name maps to `<dataDir>/<name>/<split>.jsonl.gz`; anything else is a
 * path, either a `.jsonl`/`.jsonl.gz` file (split ignored) or a folder holding `<split>.jsonl[.gz]`.
 */
export function splitFile(dataset: string, split: string, options: DataOptions = {}): string {
  const base = dataset === "rocstories" || dataset === "wikipedia" || dataset === "xsum" ? join(options.dataDir ?? dataDir(), dataset) : dataset;
  if (/\.jsonl(\.gz)?$/.test(base)) return base;
  for (const name of [`${split}.jsonl.gz`, `${split}.jsonl`]) {
    const p = join(base, name);
    if (existsSync(p)) return p;
  }
  throw new DataFileError(join(base, `${split}.jsonl.gz`), null, `split "${split}" not found (set DATA_DIR or pass a path)`);
}

function field(obj: unknown, name: string, file: string, line: number): string {
  const v = (obj as Record<string, unknown> | null)?.[name];
  if (typeof v !== "string") throw new DataFileError(file, line, `field "${name}" missing or not a string`);
  return v;
}

/** The `text` field of every line of a ROCStories/Wikipedia split (or any `{text}` JSONL file). */
export async function* readTexts(dataset: TextDataset | string, split: string, options: DataOptions = {}): AsyncGenerator<string> {
  const file = splitFile(dataset, split, options);
  for await (const { line, value } of readJsonlEntries(file)) yield field(value, "text", file, line);
}

export interface XsumPair {
  document: string;
  summary: string;
  id: string;
}

/** XSum pairs of a split (`validation`, `test`, `train_superni`), or of a path. */
export async function* readXsum(split: string, options: DataOptions & { path?: string } = {}): AsyncGenerator<XsumPair> {
  const file = splitFile(options.path ?? "xsum", split, options);
  for await (const { line, value } of readJsonlEntries(file)) {
    yield { document: field(value, "document", file, line), summary: field(value, "summary", file, line), id: field(value, "id", file, line) };
  }
}
