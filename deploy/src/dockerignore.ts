// A .dockerignore matcher following Docker's documented rules (Go filepath.Match patterns plus `**`,
// `!` exceptions, last match wins, a matched directory excludes everything under it). Hand-written
// because no maintained npm package implements Docker's exact semantics (gitignore matchers differ
// on anchoring); it only needs to answer "does this file reach the build context" in tests.

interface Rule {
  negate: boolean;
  regex: RegExp;
}

function patternToRegex(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "*" && pattern[i + 1] === "*") {
      // `**/` matches zero or more directories; a trailing `**` everything below.
      if (pattern[i + 2] === "/") {
        re += "(?:.*/)?";
        i += 2;
      } else {
        re += ".*";
        i += 1;
      }
    } else if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else re += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  // A pattern that names a directory also excludes what is inside it.
  return new RegExp(`^${re}(?:/.*)?$`);
}

export function parseDockerignore(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const negate = line.startsWith("!");
    if (negate) line = line.slice(1).trim();
    line = line.replace(/^\/+/, "").replace(/\/+$/, "");
    rules.push({ negate, regex: patternToRegex(line) });
  }
  return rules;
}

/** True when `path` (relative to the context root, `/`-separated) is left out of the build context. */
export function isIgnored(rules: Rule[], path: string): boolean {
  let ignored = false;
  for (const r of rules) if (r.regex.test(path)) ignored = !r.negate;
  return ignored;
}
