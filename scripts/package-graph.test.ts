import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { findCycle, mermaidEdges, packageEdges, undeclaredImports } from "./package-graph.ts";

const root = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const key = (e: { from: string; to: string; dev: boolean }) => `${e.from} ${e.dev ? "-.->" : "-->"} ${e.to}`;

test("findCycle finds a cycle through dev edges too, and none in a DAG", () => {
  assert.deepEqual(findCycle([{ from: "a", to: "b" }, { from: "b", to: "c" }, { from: "c", to: "a" }]), ["a", "b", "c", "a"]);
  assert.equal(findCycle([{ from: "a", to: "b" }, { from: "a", to: "c" }, { from: "b", to: "c" }]), null);
});

test("the workspaces' dependency graph (runtime and dev edges together) has no cycle", () => {
  const edges = packageEdges(root);
  assert.ok(edges.length > 10, "the graph was read");
  assert.equal(findCycle(edges), null);
});

test("every @ldtext/* import is declared by the importing package", () => {
  assert.deepEqual(undeclaredImports(root), []);
});

test("docs/ARCHITECTURE.md draws exactly the package graph", () => {
  const drawn = mermaidEdges(readFileSync(`${root}/docs/ARCHITECTURE.md`, "utf8")).map(key).sort();
  assert.deepEqual(drawn, packageEdges(root).map(key).sort());
});
