// Tokenization for the text-overlap metrics, matching Google's rouge-score (`rouge/tokenize.py`):
// lower-case, every run of characters outside [a-z0-9] becomes one space, split on whitespace,
// optionally Porter-stem tokens longer than 3 characters, drop empty tokens.
import { porterStem } from "./porter.ts";

export type Stemmer = (word: string) => string;

export interface RougeTokenizeOptions {
  /** true: NLTK-faithful Porter stemmer (as rouge-score's `use_stemmer=True`); or a custom stemmer. */
  stem?: boolean | Stemmer;
}

const NON_ALNUM = /[^a-z0-9]+/g;
const VALID_TOKEN = /^[a-z0-9]+$/;

export function rougeTokenize(text: string, options: RougeTokenizeOptions = {}): string[] {
  const stemmer: Stemmer | null =
    options.stem === true ? porterStem : typeof options.stem === "function" ? options.stem : null;
  const raw = text.toLowerCase().replace(NON_ALNUM, " ").split(/\s+/);
  const out: string[] = [];
  for (const token of raw) {
    // rouge-score stems only tokens of more than 3 characters.
    const t = stemmer !== null && token.length > 3 ? stemmer(token) : token;
    if (VALID_TOKEN.test(t)) out.push(t);
  }
  return out;
}

/** Whitespace tokenization (what NLTK's METEOR/BLEU users usually feed after `str.split()`). */
export function whitespaceTokenize(text: string): string[] {
  return text.split(/\s+/).filter((t) => t.length > 0);
}
