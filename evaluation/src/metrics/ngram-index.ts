// A set of 64-bit n-gram fingerprints (see ngram-hash.ts) in one open-addressing table
// (Uint32Array, two words per slot, linear probing, grows ×2 past 3/4 load). Built from a stream of
// training texts for the Mem metric. Footprint: 8 bytes per slot; e.g. ~2e7 distinct 4-grams (the
// order of a 137 MB Wikipedia dump) fit in 2^25 slots = 256 MiB, where a JS Set of strings would
// need several GiB. Pass `expectedKeys` to size it once and skip the rehash peaks.
// The index can be saved to and loaded from a file, so experiments reuse one build.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { hashTokens, ngramFingerprint, type Token } from "./ngram-hash.ts";

const MAGIC = 0x58494e47; // "GNIX" little-endian
const VERSION = 1;
const HEADER_WORDS = 8;

export interface NgramIndexOptions {
  /** n-gram order (Mem uses 4). */
  n?: number;
  /** Expected number of distinct n-grams, to size the table once. */
  expectedKeys?: number;
  /** Free text recorded with the index (e.g. which tokenization built it); checked by callers. */
  label?: string;
}

function capacityFor(keys: number): number {
  let cap = 1024;
  while (cap * 0.75 < keys) cap *= 2;
  return cap;
}

export class NgramIndex {
  readonly n: number;
  readonly label: string;
  private table: Uint32Array;
  private mask: number;
  private count = 0;
  private readonly fp = new Uint32Array(2);

  constructor(options: NgramIndexOptions = {}) {
    this.n = options.n ?? 4;
    if (!Number.isInteger(this.n) || this.n < 1) throw new RangeError(`n-gram order must be a positive integer, got ${this.n}`);
    this.label = options.label ?? "";
    const cap = capacityFor(options.expectedKeys ?? 0);
    this.table = new Uint32Array(cap * 2);
    this.mask = cap - 1;
  }

  /** Number of distinct fingerprints stored. */
  get size(): number {
    return this.count;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.table.byteLength;
  }

  /** Adds every n-gram of one text (n-grams never span two texts). */
  addText(tokens: readonly Token[]): void {
    if (tokens.length < this.n) return;
    const h = hashTokens(tokens);
    for (let i = 0; i + this.n <= tokens.length; i++) {
      ngramFingerprint(h, i, this.n, this.fp);
      this.addFingerprint(this.fp[0], this.fp[1]);
    }
  }

  /** Whether the n-gram `tokens` (exactly n tokens) was added. */
  has(ngram: readonly Token[]): boolean {
    if (ngram.length !== this.n) throw new RangeError(`expected a ${this.n}-gram, got ${ngram.length} tokens`);
    ngramFingerprint(hashTokens(ngram), 0, this.n, this.fp);
    return this.hasFingerprint(this.fp[0], this.fp[1]);
  }

  /** Counts how many of a text's n-grams (with multiplicity) are in the index. */
  countFound(tokens: readonly Token[]): { found: number; total: number } {
    const total = Math.max(0, tokens.length - this.n + 1);
    if (total === 0) return { found: 0, total: 0 };
    const h = hashTokens(tokens);
    let found = 0;
    for (let i = 0; i < total; i++) {
      ngramFingerprint(h, i, this.n, this.fp);
      if (this.hasFingerprint(this.fp[0], this.fp[1])) found++;
    }
    return { found, total };
  }

  addFingerprint(a: number, b: number): void {
    // (0, 0) marks an empty slot; the one fingerprint equal to it is folded onto (0, 1).
    if (a === 0 && b === 0) b = 1;
    if ((this.count + 1) > (this.mask + 1) * 0.75) this.grow();
    const t = this.table;
    let slot = (a ^ fmixLow(b)) & this.mask;
    for (;;) {
      const i = 2 * slot;
      const ta = t[i];
      const tb = t[i + 1];
      if (ta === 0 && tb === 0) {
        t[i] = a;
        t[i + 1] = b;
        this.count++;
        return;
      }
      if (ta === a && tb === b) return;
      slot = (slot + 1) & this.mask;
    }
  }

  hasFingerprint(a: number, b: number): boolean {
    if (a === 0 && b === 0) b = 1;
    const t = this.table;
    let slot = (a ^ fmixLow(b)) & this.mask;
    for (;;) {
      const i = 2 * slot;
      const ta = t[i];
      const tb = t[i + 1];
      if (ta === 0 && tb === 0) return false;
      if (ta === a && tb === b) return true;
      slot = (slot + 1) & this.mask;
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    this.mask = old.length - 1; // new capacity = old.length slots (old had old.length / 2)
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] !== 0 || old[i + 1] !== 0) this.addFingerprint(old[i], old[i + 1]);
    }
  }

  /** Writes the index to `path` atomically (temp file in the same folder, then rename). */
  save(path: string): void {
    const labelBytes = new TextEncoder().encode(this.label);
    const header = new Uint32Array(HEADER_WORDS);
    header.set([MAGIC, VERSION, this.n, this.count, this.mask + 1, labelBytes.length]);
    const labelPadded = new Uint8Array(Math.ceil(labelBytes.length / 4) * 4);
    labelPadded.set(labelBytes);
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    // Written piecewise (no concatenated copy of a table that can be hundreds of MiB).
    const fd = openSync(tmp, "w");
    try {
      for (const part of [u8(header), labelPadded, u8(this.table)]) {
        let off = 0;
        while (off < part.byteLength) off += writeSync(fd, part, off, part.byteLength - off);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  }

  static load(path: string): NgramIndex {
    const buf = readFileSync(path);
    if (buf.byteLength < HEADER_WORDS * 4) throw new Error(`${path}: not an n-gram index (too short)`);
    // Typed-array views need 4-byte alignment; copy only in the rare case the buffer lacks it.
    const aligned = buf.byteOffset % 4 === 0 ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : new Uint8Array(buf);
    const header = new Uint32Array(aligned.buffer, aligned.byteOffset, HEADER_WORDS);
    if (header[0] !== MAGIC) throw new Error(`${path}: not an n-gram index (bad magic)`);
    if (header[1] !== VERSION) throw new Error(`${path}: n-gram index version ${header[1]}, expected ${VERSION}`);
    const [, , n, count, capacity, labelLength] = header;
    const labelStart = HEADER_WORDS * 4;
    const tableStart = labelStart + Math.ceil(labelLength / 4) * 4;
    if (aligned.byteLength !== tableStart + capacity * 8 || (capacity & (capacity - 1)) !== 0) {
      throw new Error(`${path}: n-gram index is truncated or corrupt`);
    }
    const index = new NgramIndex({ n, label: new TextDecoder().decode(aligned.subarray(labelStart, labelStart + labelLength)) });
    index.table = new Uint32Array(aligned.buffer, aligned.byteOffset + tableStart, capacity * 2);
    index.mask = capacity - 1;
    index.count = count;
    return index;
  }
}

function u8(a: Uint32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Slot scrambling from the second lane, so slots do not depend on lane a alone. */
function fmixLow(b: number): number {
  return Math.imul(b, 0x9e3779b1) >>> 7;
}

/** Builds an index from a (possibly async, streamed) sequence of tokenized training texts. */
export async function buildNgramIndex(
  texts: Iterable<readonly Token[]> | AsyncIterable<readonly Token[]>,
  options: NgramIndexOptions & { onProgress?: (textsSeen: number, distinct: number) => void; progressEvery?: number } = {},
): Promise<NgramIndex> {
  const index = new NgramIndex(options);
  const every = options.progressEvery ?? 10_000;
  let seen = 0;
  for await (const tokens of texts) {
    index.addText(tokens);
    seen++;
    if (options.onProgress && seen % every === 0) options.onProgress(seen, index.size);
  }
  options.onProgress?.(seen, index.size);
  return index;
}
