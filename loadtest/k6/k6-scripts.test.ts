// The k6 scripts' own logic under Node (k6 itself can't run here; see test-shims/hooks.mjs):
// options, request targets/bodies/tags, and handleSummary's files and JSON shape.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

const here = new URL(".", import.meta.url).pathname;

interface Seen {
  options: { scenarios: Record<string, { executor: string }>; thresholds: Record<string, string[]> };
  calls: { url: string; body: string; params: { headers: Record<string, string>; tags: Record<string, string> } }[];
  files: string[];
  json: { schema: string; tool: string; levels: { key: string }[]; pass: boolean };
}

function drive(script: string): Seen {
  const r = spawnSync(process.execPath, ["--import", `${here}test-shims/register.mjs`, `${here}test-shims/driver.mjs`, `${here}${script}`, "http://127.0.0.1:9"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Seen;
}

test("generate.js: POST /generate with seeded bodies, level tags, auth; summary files", () => {
  const seen = drive("generate.js");
  assert.deepEqual(Object.keys(seen.options.scenarios), ["generate_steady_2rps", "generate_ramp"]);
  assert.ok(seen.options.thresholds["http_req_duration{route:generate,load:steady}"]);
  assert.deepEqual(seen.calls.map((c) => c.params.tags.level), ["generate-steady-2", "generate-ramp-1", "generate-ramp-4"]);
  for (const c of seen.calls) {
    assert.equal(c.url, "http://127.0.0.1:9/generate");
    assert.equal(c.params.headers.authorization, "Bearer k");
    const body = JSON.parse(c.body) as { n: number; steps: number; seed: number };
    assert.ok(body.n >= 1 && body.steps >= 10 && Number.isInteger(body.seed));
  }
  assert.deepEqual(seen.files.sort(), ["/results/k6-generate-summary.json", "/results/k6-generate-summary.txt", "stdout"]);
  assert.equal(seen.json.schema, "ldtext-loadtest-summary/1");
  assert.equal(seen.json.tool, "k6");
  assert.equal(seen.json.pass, false, "no requests recorded → thresholds fail");
});

test("summarize.js: documents from the committed XSum sample", () => {
  const seen = drive("summarize.js");
  const body = JSON.parse(seen.calls[0].body) as { document: string; guidance: number };
  assert.ok(body.document.length > 200);
  assert.equal(seen.calls[0].url, "http://127.0.0.1:9/summarize");
  assert.deepEqual(seen.json.levels.map((l) => l.key), ["summarize-steady-2", "summarize-ramp-1", "summarize-ramp-4"]);
});
