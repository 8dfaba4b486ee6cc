// The shared client build's own pieces: specifier rewriting in declarations, the bundled-license
// notice, and the SDK bundle's shape (one ESM module with its libraries inside, no Node built-ins).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { builtSdkPlugin, emitSdkTypes, jsSpecifiers, sdkBundle, thirdPartyNotice } from "./build.ts";

test("declarations: relative .ts/.d.ts specifiers become .js, package specifiers stay", () => {
  const src = [
    'export { DiffusionTextClient } from "./client.ts";',
    "import type { components } from './generated/schema.d.ts';",
    'export type * from "../types.ts";',
    'type X = import("./errors.ts").ApiError;',
    'import type { Client } from "openapi-fetch";',
    'import x from "./data.json";',
  ].join("\n");
  assert.equal(
    jsSpecifiers(src),
    [
      'export { DiffusionTextClient } from "./client.js";',
      "import type { components } from './generated/schema.js';",
      'export type * from "../types.js";',
      'type X = import("./errors.js").ApiError;',
      'import type { Client } from "openapi-fetch";',
      'import x from "./data.json";',
    ].join("\n"),
  );
});

test("the SDK bundle: ESM with openapi-fetch and eventsource-parser inlined, no imports left, notices for exactly those", async () => {
  const sdk = await sdkBundle();
  assert.doesNotMatch(sdk.js, /^\s*import\s/m, "no import statements: nothing to install at run time");
  assert.match(sdk.js, /^export \{[^}]*\bDiffusionTextClient\b/m);
  assert.deepEqual(sdk.bundled.map((p) => [p.name, p.license]), [
    ["eventsource-parser", "MIT"],
    ["openapi-fetch", "MIT"],
  ]);
  const notice = thirdPartyNotice(sdk.bundled);
  for (const p of sdk.bundled) {
    assert.ok(p.text.length > 100, `${p.name}: license text read`);
    assert.ok(notice.includes(`## ${p.name}@${p.version} (MIT)`) && notice.includes(p.text));
  }
  assert.match(thirdPartyNotice([]), /None\./);
});

test("builtSdkPlugin: an importer of @ldtext/sdk gets the built module", async () => {
  const sdk = await sdkBundle();
  const r = await build({
    stdin: { contents: 'import { statusOfCode } from "@ldtext/sdk"; console.log(statusOfCode("queue_full"));', loader: "ts", resolveDir: tmpdir() },
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    plugins: [builtSdkPlugin(sdk)],
    logLevel: "silent",
  });
  assert.match(r.outputFiles[0].text, /ldtext-built-sdk:@ldtext\/sdk/);
  assert.match(r.outputFiles[0].text, /queue_full: 429/);
});

test("the SDK declarations: one .d.ts per module (tests excluded), the generated schema beside them, .js specifiers", () => {
  const out = mkdtempSync(join(tmpdir(), "ldtext-sdk-types-"));
  try {
    emitSdkTypes(out);
    const files = readdirSync(out, { recursive: true }).map(String).sort();
    assert.ok(files.includes("index.d.ts") && files.includes("client.d.ts") && files.includes(join("generated", "schema.d.ts")), files.join(", "));
    assert.deepEqual(files.filter((f) => f.includes(".test.") || (f.endsWith(".ts") && !f.endsWith(".d.ts"))), []);
    const index = readFileSync(join(out, "index.d.ts"), "utf8");
    assert.match(index, /export \{ DiffusionTextClient \} from "\.\/client\.js";/);
    assert.doesNotMatch(index, /\.ts["']/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
