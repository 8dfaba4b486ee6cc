#!/usr/bin/env node
// Runs every `*.test.ts` in the workspaces with Node's own test runner (node:test) through tsx.
// Why node:test and not vitest: it ships with Node 20 (vitest 5 needs Node 22), needs no config,
// and CI's output parser reads its closing lines. Node 20's `--test` has no globbing, hence this file.
// Usage: node scripts/run-tests.mjs [path-substring ...]   (filters test files)
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";

const root = new URL("..", import.meta.url).pathname;
const skipDirs = new Set(["node_modules", ".git", "models", "reports", "dist", ".ci"]);

function find(dir, out) {
  for (const name of readdirSync(dir)) {
    if (skipDirs.has(name)) continue;
    const full = join(dir, name);
    const st = statSync(full);
    if (st.isDirectory()) find(full, out);
    else if (name.endsWith(".test.ts")) out.push(relative(root, full));
  }
  return out;
}

const filters = process.argv.slice(2);
const files = find(root, []).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? "1";
const res = spawnSync(process.execPath, ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, ...files], {
  cwd: root,
  stdio: "inherit",
});
process.exit(res.status ?? 1);
