// The summarization document policy, one rule for the server's /summarize and offline sampling
// (export's sampleArtifact, the int8 parity run): keep the head (XSum's lead carries the summary).
// Before tokenizing, the text is cut to CHARS_PER_TOKEN_BOUND characters per kept token — a bound no
// compact token exceeds in practice — so a 2 MB document costs the tokenizer only what the model sees.
import type { CompactTokenizer } from "./tokenizer.ts";

export const CHARS_PER_TOKEN_BOUND = 64;
export const DOCUMENT_POLICY = `head: the first S tokens of the document (S = the model's document length); text past ${CHARS_PER_TOKEN_BOUND}·S characters is not tokenized`;

export interface DocumentHead {
  /** The first S tokens (empty when the document has none). */
  tokens: Int32Array;
  /** Tokens or text were left out. */
  truncated: boolean;
}

/** The tokens a model with document length `S` conditions on. */
export function documentHead(tokenizer: Pick<CompactTokenizer, "encode">, document: string, S: number): DocumentHead {
  const head = document.length > CHARS_PER_TOKEN_BOUND * S ? document.slice(0, CHARS_PER_TOKEN_BOUND * S) : document;
  const all = tokenizer.encode(head);
  return { tokens: Int32Array.from(all.slice(0, S)), truncated: all.length > S || head.length < document.length };
}
