// XSum-style (document, summary) pairs from Wikipedia articles, mirroring how XSum was built from BBC
// articles (introductory sentence → summary, the rest → document). Per article: `para` 0 is the
// stand-in for the lead (the data has no section markers); its first sentence is the summary, the
// rest of it is the document, extended by `para` 1 when that rest is shorter than
// `shortLeadChars`. Pairs whose document is shorter than `minDocumentChars` (default 200 characters)
// or whose summary has fewer than 4 words are skipped.
import { readJsonlEntries, DataFileError } from "./jsonl.ts";
import { splitFile, type DataOptions, type XsumPair } from "./datasets.ts";

export interface WikiPairOptions extends DataOptions {
  /** Skip pairs whose document is shorter than this many characters (default 200). */
  minDocumentChars?: number;
  /** Append para 1 when the rest of para 0 is shorter than this (default 400). */
  shortLeadChars?: number;
  /** Read this `{text, article, title, para}` JSONL file instead of the wikipedia split. */
  path?: string;
}

export interface WikiPair extends XsumPair {
  title: string;
}

// Tokens that end in "." without ending a sentence (case-insensitive, without the dot).
const ABBREVIATIONS = new Set([
  "mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "vs", "etc", "e.g", "i.e", "c", "ca", "approx", "no", "nos",
  "mt", "ft", "fr", "gen", "col", "lt", "sgt", "capt", "gov", "sen", "rep", "rev", "hon", "inc", "ltd", "co", "corp",
  "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "fl", "b", "d", "r", "al", "op", "vol",
]);

/**
 * Split `text` after its first sentence: the first ".", "!" or "?" (plus closing quotes/brackets)
 * outside parentheses, followed by whitespace and a capital, digit or opening quote, that does not
 * end an abbreviation or an initial ("J.", "U.S.").
 */
export function splitFirstSentence(text: string): [string, string] {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "(" || ch === "[") depth++;
    else if ((ch === ")" || ch === "]") && depth > 0) depth--;
    if (depth > 0 || (ch !== "." && ch !== "!" && ch !== "?")) continue;
    let j = i + 1;
    while (j < text.length && `"'”’)]`.includes(text[j])) j++;
    if (j >= text.length || !/\s/.test(text[j])) continue;
    let k = j;
    while (k < text.length && /\s/.test(text[k])) k++;
    if (k >= text.length || !/[\p{Lu}\d"“‘'(]/u.test(text[k])) continue;
    if (ch === ".") {
      const word = /(\S+)$/.exec(text.slice(0, i))?.[1] ?? "";
      const bare = word.replace(/^[("'“‘[]+/, "").toLowerCase();
      if (ABBREVIATIONS.has(bare) || /^\p{L}$/u.test(bare) || /^(\p{L}\.)+\p{L}$/u.test(bare)) continue;
    }
    return [text.slice(0, j).trim(), text.slice(k).trim()];
  }
  return [text.trim(), ""];
}

interface WikiLine {
  text: string;
  article: string;
  title: string;
  para: number;
}

function parseWikiLine(value: unknown, file: string, line: number): WikiLine {
  const v = value as Partial<WikiLine> | null;
  if (typeof v?.text !== "string" || typeof v.article !== "string" || typeof v.title !== "string" || typeof v.para !== "number") {
    throw new DataFileError(file, line, "expected {text, article, title, para}");
  }
  return v as WikiLine;
}

/** The lines of each article in turn (an article's lines are consecutive in the split). */
async function* articles(file: string): AsyncGenerator<WikiLine[]> {
  let current: WikiLine[] = [];
  for await (const { line, value } of readJsonlEntries(file)) {
    const w = parseWikiLine(value, file, line);
    if (current.length > 0 && current[0].article !== w.article) {
      yield current;
      current = [];
    }
    current.push(w);
  }
  if (current.length > 0) yield current;
}

/**
 * `para`'s first sentence as the summary and the rest as the document, extended by `next` when
 * shorter than `shortLead`; null when the document or the summary is too short.
 */
function pairOf(para: WikiLine, next: WikiLine | undefined, o: { minDoc: number; shortLead: number }): { document: string; summary: string } | null {
  const [summary, rest] = splitFirstSentence(para.text);
  const document = rest.length < o.shortLead && next ? (rest ? `${rest} ${next.text}` : next.text) : rest;
  if (document.length < o.minDoc || summary.split(/\s+/).length < 4) return null;
  return { document, summary };
}

function pairOptions(options: WikiPairOptions): { minDoc: number; shortLead: number } {
  return { minDoc: options.minDocumentChars ?? 200, shortLead: options.shortLeadChars ?? 400 };
}

/**
 * Topic-sentence pairs from every paragraph of every article: the paragraph's first sentence is the
 * summary, the rest of it (extended by the next paragraph when shorter than `shortLeadChars`) is the
 * document; the same filters as the lead pairs. Para 0 gives the lead pair. About 25 pairs per
 * article instead of one: the corpus has 8,720 articles, too few lead pairs to teach a denoiser to
 * read its document, while a paragraph's opening sentence shares names and topic with the rest the
 * way an XSum summary shares them with its article. The split stays by article (the corpus's own).
 */
export async function* wikiParagraphPairs(split: string, options: WikiPairOptions = {}): AsyncGenerator<WikiPair> {
  const o = pairOptions(options);
  for await (const lines of articles(splitFile(options.path ?? "wikipedia", split, options))) {
    const sorted = [...lines].sort((a, b) => a.para - b.para);
    for (let i = 0; i < sorted.length; i++) {
      const pair = pairOf(sorted[i], sorted[i + 1], o);
      if (pair) yield { ...pair, id: `wiki-${sorted[i].article}-p${sorted[i].para}`, title: sorted[i].title };
    }
  }
}

/** XSum-style pairs from a Wikipedia split (see the header for the construction). */
export async function* wikiLeadPairs(split: string, options: WikiPairOptions = {}): AsyncGenerator<WikiPair> {
  const o = pairOptions(options);
  for await (const lines of articles(splitFile(options.path ?? "wikipedia", split, options))) {
    const p0 = lines.find((p) => p.para === 0);
    const pair = p0 ? pairOf(p0, lines.find((p) => p.para === 1), o) : null;
    if (p0 && pair) yield { ...pair, id: `wiki-${p0.article}`, title: p0.title };
  }
}
