// Compact tokenizer: tiktoken's GPT-2 BPE, reduced to the K most frequent BPE tokens of a corpus,
// with lossless byte fallback (a BPE token outside the compact vocabulary becomes the byte tokens of
// its bytes), so every string round-trips and no UNK exists. Id layout (docs/MODEL-SPEC.md):
// PAD 0, BOS 1, EOS 2, byte b → 3 + b, compact BPE tokens from 259.
//
// Encoding needs tiktoken's WASM encoder; it is shared by every tokenizer in the process and freed
// when the last user releases it (reference counting), so memory is released deterministically.
// Decoding needs no tiktoken: each kept token's bytes are stored (base64) in the vocabulary JSON.
import { get_encoding, type Tiktoken } from "tiktoken";
import { z } from "zod";

export const PAD_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
/** Byte b has id BYTE_OFFSET + b. */
export const BYTE_OFFSET = 3;
/** The first compact BPE token id (3 specials + 256 bytes). */
export const FIRST_BPE_ID = BYTE_OFFSET + 256;
/** GPT-2 BPE vocabulary size (50,256 ranks + `<|endoftext|>`). */
const GPT2_VOCAB = 50257;

export const VocabularySchema = z
  .object({
    kind: z.literal("compact-bpe"),
    version: z.literal(1),
    /** The tiktoken encoding the BPE ids refer to. */
    base: z.literal("gpt2"),
    specials: z.object({ pad: z.literal(PAD_ID), bos: z.literal(BOS_ID), eos: z.literal(EOS_ID) }),
    byteOffset: z.literal(BYTE_OFFSET),
    /** Kept BPE ids, in compact-id order: bpeIds[i] has compact id 259 + i. */
    bpeIds: z.array(z.number().int().min(0).max(GPT2_VOCAB - 2)),
    /** base64 of each kept token's bytes (same order), so decoding needs no tiktoken. */
    tokenBytes: z.array(z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64")),
  })
  .superRefine((v, ctx) => {
    if (v.bpeIds.length !== v.tokenBytes.length) {
      ctx.addIssue({ code: "custom", message: `bpeIds (${v.bpeIds.length}) and tokenBytes (${v.tokenBytes.length}) differ in length` });
    }
    if (new Set(v.bpeIds).size !== v.bpeIds.length) {
      ctx.addIssue({ code: "custom", path: ["bpeIds"], message: "bpeIds contains duplicates" });
    }
    v.tokenBytes.forEach((b64, i) => {
      if (Buffer.from(b64, "base64").length < 2) {
        ctx.addIssue({ code: "custom", path: ["tokenBytes", i], message: "a kept token must have at least 2 bytes" });
      }
    });
  });
export type Vocabulary = z.infer<typeof VocabularySchema>;

// ---- shared tiktoken encoder (reference counted) ----------------------------------------------

let sharedEncoder: Tiktoken | null = null;
let sharedRefs = 0;
/** Bytes of every GPT-2 BPE id as one flat table; plain JS memory, kept after the encoder is freed. */
let bpeBytes: { flat: Uint8Array; offsets: Int32Array } | null = null;

function acquireEncoder(): Tiktoken {
  if (sharedEncoder === null) sharedEncoder = get_encoding("gpt2");
  sharedRefs++;
  return sharedEncoder;
}

function releaseEncoder(): void {
  if (sharedRefs <= 0) return;
  sharedRefs--;
  if (sharedRefs === 0 && sharedEncoder !== null) {
    sharedEncoder.free();
    sharedEncoder = null;
  }
}

/** How many tokenizers currently hold the shared WASM encoder (0 means it is freed). */
export function sharedEncoderRefs(): number {
  return sharedRefs;
}

function bpeByteTable(enc: Tiktoken): { flat: Uint8Array; offsets: Int32Array } {
  if (bpeBytes !== null) return bpeBytes;
  const parts: Uint8Array[] = [];
  const offsets = new Int32Array(GPT2_VOCAB + 1);
  let total = 0;
  for (let id = 0; id < GPT2_VOCAB; id++) {
    offsets[id] = total;
    const b = id === GPT2_VOCAB - 1 ? new Uint8Array(0) : enc.decode_single_token_bytes(id);
    parts.push(b);
    total += b.length;
  }
  offsets[GPT2_VOCAB] = total;
  const flat = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    flat.set(p, o);
    o += p.length;
  }
  bpeBytes = { flat, offsets };
  return bpeBytes;
}

// ---- the tokenizer -----------------------------------------------------------------------------

export interface BuildOptions {
  /** Number of BPE tokens to keep beside bytes and specials (vocabSize ≤ 259 + topK). */
  topK: number;
}

/** Count BPE token frequencies (tiktoken `encode_ordinary`: "<|endoftext|>" in text is plain text). */
class FrequencyCounter {
  readonly counts = new Float64Array(GPT2_VOCAB);
  constructor(private readonly enc: Tiktoken) {}
  add(text: string): void {
    const ids = this.enc.encode_ordinary(text);
    for (let i = 0; i < ids.length; i++) this.counts[ids[i]]++;
  }
}

export class CompactTokenizer implements Disposable {
  readonly vocabSize: number;
  private readonly vocab: Vocabulary;
  /** Bytes of every compact id (specials empty) for decoding. */
  private readonly idBytes: Uint8Array;
  private readonly idOffsets: Int32Array;
  /** BPE id → compact id, or −1 when the token is not kept (byte fallback). Built on first encode. */
  private bpeToCompact: Int32Array | null = null;
  private encoder: Tiktoken | null = null;
  private freed = false;
  private readonly utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

  private constructor(vocab: Vocabulary) {
    this.vocab = vocab;
    const k = vocab.bpeIds.length;
    this.vocabSize = FIRST_BPE_ID + k;
    const tokenBytes = vocab.tokenBytes.map((b) => Buffer.from(b, "base64"));
    const total = 256 + tokenBytes.reduce((a, b) => a + b.length, 0);
    this.idBytes = new Uint8Array(total);
    this.idOffsets = new Int32Array(this.vocabSize + 1);
    let o = 0;
    for (let id = 0; id < this.vocabSize; id++) {
      this.idOffsets[id] = o;
      if (id >= BYTE_OFFSET && id < FIRST_BPE_ID) {
        this.idBytes[o++] = id - BYTE_OFFSET;
      } else if (id >= FIRST_BPE_ID) {
        const b = tokenBytes[id - FIRST_BPE_ID];
        this.idBytes.set(b, o);
        o += b.length;
      }
    }
    this.idOffsets[this.vocabSize] = o;
  }

  /**
   * Build the compact vocabulary from a corpus: the `topK` most frequent BPE tokens of at least two
   * bytes, ordered by frequency (ties by BPE id, so the result is deterministic).
   */
  static build(texts: Iterable<string>, options: BuildOptions): CompactTokenizer {
    const enc = acquireEncoder();
    try {
      const counter = new FrequencyCounter(enc);
      for (const t of texts) counter.add(t);
      return CompactTokenizer.fromCounts(counter.counts, options.topK, enc);
    } finally {
      releaseEncoder();
    }
  }

  /** As `build`, over an async stream of texts (the data readers). */
  static async buildAsync(texts: AsyncIterable<string> | Iterable<string>, options: BuildOptions): Promise<CompactTokenizer> {
    const enc = acquireEncoder();
    try {
      const counter = new FrequencyCounter(enc);
      for await (const t of texts) counter.add(t);
      return CompactTokenizer.fromCounts(counter.counts, options.topK, enc);
    } finally {
      releaseEncoder();
    }
  }

  private static fromCounts(counts: Float64Array, topK: number, enc: Tiktoken): CompactTokenizer {
    if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`topK must be a non-negative integer, got ${topK}`);
    const table = bpeByteTable(enc);
    const candidates: number[] = [];
    for (let id = 0; id < GPT2_VOCAB; id++) {
      if (counts[id] > 0 && table.offsets[id + 1] - table.offsets[id] >= 2) candidates.push(id);
    }
    candidates.sort((a, b) => counts[b] - counts[a] || a - b);
    const kept = candidates.slice(0, topK);
    const vocab: Vocabulary = {
      kind: "compact-bpe",
      version: 1,
      base: "gpt2",
      specials: { pad: PAD_ID, bos: BOS_ID, eos: EOS_ID },
      byteOffset: BYTE_OFFSET,
      bpeIds: kept,
      tokenBytes: kept.map((id) => Buffer.from(table.flat.subarray(table.offsets[id], table.offsets[id + 1])).toString("base64")),
    };
    return new CompactTokenizer(vocab);
  }

  /** Load a vocabulary (validated); throws a zod error naming the bad field. */
  static fromJSON(json: unknown): CompactTokenizer {
    return new CompactTokenizer(VocabularySchema.parse(json));
  }

  toJSON(): Vocabulary {
    return { ...this.vocab, specials: { ...this.vocab.specials }, bpeIds: [...this.vocab.bpeIds], tokenBytes: [...this.vocab.tokenBytes] };
  }

  /** Number of kept BPE tokens (K). */
  get bpeTokenCount(): number {
    return this.vocab.bpeIds.length;
  }

  private ensureEncoder(): Tiktoken {
    if (this.freed) throw new Error("CompactTokenizer: encode() after free()");
    if (this.encoder === null) {
      this.encoder = acquireEncoder();
      if (this.bpeToCompact === null) {
        const table = new Int32Array(GPT2_VOCAB).fill(-1);
        this.vocab.bpeIds.forEach((bpe, i) => (table[bpe] = FIRST_BPE_ID + i));
        this.bpeToCompact = table;
      }
      bpeByteTable(this.encoder);
    }
    return this.encoder;
  }

  /** Token ids of `text` (no specials). Lossless: `decode(encode(s)) === s` for any valid string. */
  encode(text: string): number[] {
    const enc = this.ensureEncoder();
    const bpe = enc.encode_ordinary(text);
    const map = this.bpeToCompact!;
    const { flat, offsets } = bpeBytes!;
    const out: number[] = [];
    for (let i = 0; i < bpe.length; i++) {
      const id = bpe[i];
      const c = map[id];
      if (c >= 0) {
        out.push(c);
      } else {
        for (let j = offsets[id], e = offsets[id + 1]; j < e; j++) out.push(BYTE_OFFSET + flat[j]);
      }
    }
    return out;
  }

  /**
   * Model input of length L (MODEL-SPEC token layout): ids truncated to L − 1, then EOS, then PAD.
   */
  encodeToLength(text: string, length: number): Int32Array {
    const out = new Int32Array(length);
    layoutTokens(this.encode(text), length, out, 0);
    return out;
  }

  /** Text of `ids`; special ids are dropped; invalid UTF-8 becomes U+FFFD. Throws on ids ≥ vocabSize. */
  decode(ids: ArrayLike<number | bigint>): string {
    const n = ids.length;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const id = Number(ids[i]);
      if (!(id >= 0 && id < this.vocabSize) || !Number.isInteger(id)) {
        throw new RangeError(`token id ${String(ids[i])} at position ${i} is outside the vocabulary [0, ${this.vocabSize})`);
      }
      total += this.idOffsets[id + 1] - this.idOffsets[id];
    }
    const bytes = new Uint8Array(total);
    let o = 0;
    for (let i = 0; i < n; i++) {
      const id = Number(ids[i]);
      const a = this.idOffsets[id];
      const b = this.idOffsets[id + 1];
      if (b - a === 1) bytes[o++] = this.idBytes[a];
      else if (b > a) {
        bytes.set(this.idBytes.subarray(a, b), o);
        o += b - a;
      }
    }
    return this.utf8.decode(bytes);
  }

  /** Decode a model output row: cut at the first EOS or PAD, then decode. */
  decodeSample(ids: ArrayLike<number | bigint>): string {
    let end = ids.length;
    for (let i = 0; i < ids.length; i++) {
      const id = Number(ids[i]);
      if (id === EOS_ID || id === PAD_ID) {
        end = i;
        break;
      }
    }
    const row: number[] = new Array<number>(end);
    for (let i = 0; i < end; i++) row[i] = Number(ids[i]);
    return this.decode(row);
  }

  /** Release the shared WASM encoder (if this tokenizer took it). Decoding keeps working. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    if (this.encoder !== null) {
      this.encoder = null;
      releaseEncoder();
    }
  }

  [Symbol.dispose](): void {
    this.free();
  }
}

/**
 * Write one row of the MODEL-SPEC token layout into `out` at `offset`: `ids` truncated to
 * `length − 1`, EOS, then PAD. Returns whether `ids` was truncated.
 */
export function layoutTokens(ids: ArrayLike<number>, length: number, out: Int32Array, offset: number): boolean {
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`length must be a positive integer, got ${length}`);
  const n = Math.min(ids.length, length - 1);
  for (let i = 0; i < n; i++) out[offset + i] = ids[i];
  out[offset + n] = EOS_ID;
  out.fill(PAD_ID, offset + n + 1, offset + length);
  return ids.length > length - 1;
}
