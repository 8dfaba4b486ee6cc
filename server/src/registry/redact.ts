// What the HTTP surface may say about a model folder: its path relative to MODELS_DIR, and error
// messages with every absolute path cut to what lies below MODELS_DIR (or to its file name) and
// checksums elided. The log keeps the full text; the API never names a server path.
import { isAbsolute, relative, resolve, sep } from "node:path";

/** `dir` relative to `root` ("." for root itself); a folder outside root is reduced to its last part. */
export function publicDir(root: string, dir: string): string {
  const rel = relative(resolve(root), resolve(dir));
  if (rel === "") return ".";
  if (rel.startsWith("..") || isAbsolute(rel)) return resolve(dir).split(sep).at(-1) ?? "?";
  return rel.split(sep).join("/");
}

const ABSOLUTE_PATH = /(?<![\w.])\/(?:[^\s'"`:;,()[\]{}<>]+\/)*[^\s'"`:;,()[\]{}<>]*/g;
const DIGEST = /\b[0-9a-f]{32,}\b/gi;

/** An error message fit for a response body: paths relative to `root`, other absolute paths → file name, digests elided. */
export function publicMessage(root: string, message: string): string {
  const base = resolve(root);
  return message
    .replace(ABSOLUTE_PATH, (p) => {
      const rel = relative(base, p);
      if (rel !== "" && !rel.startsWith("..") && !isAbsolute(rel)) return rel.split(sep).join("/");
      return p.split("/").filter(Boolean).at(-1) ?? "";
    })
    .replace(DIGEST, "<digest>");
}
