// The committed XSum sample used for realistic /summarize bodies.
import { readFileSync } from "node:fs";

export const XSUM_SAMPLE = new URL("../fixtures/xsum-sample.json", import.meta.url).pathname;

export function loadDocuments(path = XSUM_SAMPLE): string[] {
  const parsed = JSON.parse(readFileSync(path, "utf8")) as { documents?: { document?: unknown }[] };
  const docs = (parsed.documents ?? []).map((d) => d.document).filter((d): d is string => typeof d === "string" && d.length > 0);
  if (docs.length === 0) throw new Error(`${path}: no documents`);
  return docs;
}
