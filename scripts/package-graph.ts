// The workspaces' dependency graph, read from their package.json files: the edges (runtime and
// dev-only), a cycle finder, the `@ldtext/*` imports a package makes without declaring them, and the
// edges drawn in docs/ARCHITECTURE.md's mermaid block — so the test beside this file can hold the
// graph acyclic and the document true to it. Written by hand: it is forty lines over package.json,
// and tools that draw workspace graphs (e.g. madge, dependency-cruiser) work on files, not packages.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export interface Edge {
  from: string;
  to: string;
  dev: boolean;
}

interface PackageJson {
  name: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const SCOPE = "@ldtext/";
const short = (name: string) => (name.startsWith(SCOPE) ? name.slice(SCOPE.length) : name);
const readPackage = (dir: string) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageJson;

/** Workspace folders (relative to `root`) with their short names (`@ldtext/core` → `core`). */
export function workspaces(root: string): { dir: string; name: string; pkg: PackageJson }[] {
  return (readPackage(root).workspaces ?? []).map((dir) => {
    const pkg = readPackage(join(root, dir));
    return { dir, name: short(pkg.name), pkg };
  });
}

/** Every `@ldtext/*` edge between workspaces; `dev` when only a devDependency declares it. */
export function packageEdges(root: string): Edge[] {
  const edges: Edge[] = [];
  for (const { name, pkg } of workspaces(root)) {
    const runtime = new Set(Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }).filter((d) => d.startsWith(SCOPE)));
    const dev = Object.keys(pkg.devDependencies ?? {}).filter((d) => d.startsWith(SCOPE) && !runtime.has(d));
    for (const d of runtime) edges.push({ from: name, to: short(d), dev: false });
    for (const d of dev) edges.push({ from: name, to: short(d), dev: true });
  }
  return edges;
}

/** One cycle (its nodes, first repeated at the end) or null. */
export function findCycle(edges: readonly Pick<Edge, "from" | "to">[]): string[] | null {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (n: string): string[] | null => {
    if (state.get(n) === "done") return null;
    if (state.get(n) === "open") return [...path.slice(path.indexOf(n)), n];
    state.set(n, "open");
    path.push(n);
    for (const m of next.get(n) ?? []) {
      const c = visit(m);
      if (c) return c;
    }
    path.pop();
    state.set(n, "done");
    return null;
  };
  for (const n of next.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return null;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) sourceFiles(full, out);
    else if (/\.(ts|mts|mjs|js)$/.test(name) && !name.endsWith(".min.js")) out.push(full);
  }
  return out;
}

/** `file: @ldtext/x` for each import of a workspace package the importing package does not declare. */
export function undeclaredImports(root: string): string[] {
  const bad: string[] = [];
  const importRe = /(?:from\s+|import\s*\(\s*|import\s+)["']@ldtext\/([a-z0-9-]+)(?:\/[^"']*)?["']/g;
  for (const { dir, name, pkg } of workspaces(root)) {
    const declared = new Set(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies }).map(short));
    for (const file of sourceFiles(join(root, dir))) {
      for (const m of readFileSync(file, "utf8").matchAll(importRe)) {
        if (m[1] !== name && !declared.has(m[1])) bad.push(`${file.slice(root.length + 1)}: @ldtext/${m[1]}`);
      }
    }
  }
  return bad;
}

/** The edges of the first ```mermaid block of a markdown text: `a --> b` runtime, `a -.-> b` dev. */
export function mermaidEdges(markdown: string): Edge[] {
  const block = /```mermaid\n([\s\S]*?)```/.exec(markdown)?.[1] ?? "";
  const edges: Edge[] = [];
  for (const m of block.matchAll(/^\s*([\w-]+)\s*(-->|-\.->)\s*([\w-]+)\s*$/gm)) edges.push({ from: m[1], to: m[3], dev: m[2] === "-.->" });
  return edges;
}
