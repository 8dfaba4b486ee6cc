// The training split's word 4-gram index for Mem, built once per corpus and cached as a file
// (Wikipedia's takes ~20 s and ~256 MiB; ROCStories' a few seconds). The cache key is the split
// file's path, size and mtime, so a changed corpus is rebuilt.
import { existsSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createHash } from "node:crypto";
import { readTexts, readXsum, splitFile } from "@ldtext/core";
import { NgramIndex, buildNgramIndex, rougeTokenize } from "../metrics/index.ts";
import { WORD_TOKENIZATION } from "./unconditional.ts";

export interface MemIndexOptions {
  /** Where built indexes are kept (default runs/cache). */
  cacheDir?: string;
  dataDir?: string;
  onProgress?: (texts: number) => void;
}

/** The 4-gram index of `data`'s training split (xsum: the summaries of train_superni). */
/**
 * The training split's word n-gram index (cached in `runs/cache/`): 4-grams for Mem, 1-grams (the
 * set of words the training corpus uses) for the unknown-word rate.
 */
export async function memIndexFor(data: string, o: MemIndexOptions & { n?: number } = {}): Promise<{ index: NgramIndex; path: string; built: boolean }> {
  const n = o.n ?? 4;
  const xsum = data === "xsum" || data === "xsum-summaries";
  const split = xsum ? "train_superni" : "train";
  const dd = o.dataDir ? { dataDir: o.dataDir } : {};
  const file = splitFile(xsum ? "xsum" : data, split, dd);
  const st = statSync(file);
  const key = createHash("sha256").update(`${resolve(file)}|${st.size}|${st.mtimeMs}|${WORD_TOKENIZATION}`).digest("hex").slice(0, 16);
  const cacheDir = o.cacheDir ?? "runs/cache";
  const path = join(cacheDir, `mem${n}-${key}.idx`);
  if (existsSync(path)) return { index: NgramIndex.load(path), path, built: false };
  await mkdir(cacheDir, { recursive: true });
  async function* words(): AsyncGenerator<string[]> {
    if (xsum) for await (const p of readXsum(split, { ...dd, path: file })) yield rougeTokenize(p.summary);
    else for await (const t of readTexts(file, split)) yield rougeTokenize(t);
  }
  const index = await buildNgramIndex(words(), { n, label: WORD_TOKENIZATION, onProgress: (n) => o.onProgress?.(n), progressEvery: 20_000 });
  index.save(path);
  return { index, path, built: true };
}
