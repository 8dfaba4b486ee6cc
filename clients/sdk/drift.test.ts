// Drift check: the committed clients/openapi.json and src/generated/schema.d.ts must equal a fresh
// generation from the server's app object. When the server's schema changes, run `npm run sdk:generate`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OPENAPI_PATH, SCHEMA_PATH, driftedFiles, generate, serverDocument } from "./scripts/codegen.ts";
import type { JsonValue } from "./scripts/codegen.ts";
import { emitSdkTypes } from "../build/build.ts";

test("the committed OpenAPI document and SDK types equal a fresh generation (run `npm run sdk:generate` if not)", async () => {
  const fresh = await generate();
  const dir = mkdtempSync(join(tmpdir(), "ldtext-sdk-drift-"));
  const paths = { openapi: join(dir, "openapi.json"), schema: join(dir, "schema.d.ts") };
  writeFileSync(paths.openapi, fresh.openapi);
  writeFileSync(paths.schema, fresh.schema);
  // The regenerated files in the temp folder are what the committed ones must be, byte for byte.
  assert.equal(readFileSync(OPENAPI_PATH, "utf8"), readFileSync(paths.openapi, "utf8"), "clients/openapi.json is stale: run `npm run sdk:generate`");
  assert.equal(readFileSync(SCHEMA_PATH, "utf8"), readFileSync(paths.schema, "utf8"), "clients/sdk/src/generated/schema.d.ts is stale: run `npm run sdk:generate`");
  assert.deepEqual(driftedFiles(fresh), []);
  // And the package ships exactly these types: the shared build's declarations carry the fresh schema.
  const built = join(dir, "dist");
  emitSdkTypes(built);
  assert.equal(readFileSync(join(built, "generated/schema.d.ts"), "utf8"), fresh.schema, "the built package's schema.d.ts differs from a fresh generation");
});

test("the check catches a server schema change that was not regenerated", async () => {
  // A new request field on the server, as if someone added `temperature` to GenerateRequest.
  const doc = serverDocument() as { components: { schemas: Record<string, { properties: Record<string, JsonValue> }> } };
  doc.components.schemas.GenerateRequest.properties.temperature = { type: "number", minimum: 0 };
  const changed = await generate(doc as unknown as JsonValue);
  assert.match(changed.schema, /temperature\?: number/);
  assert.deepEqual(driftedFiles(changed).sort(), [OPENAPI_PATH, SCHEMA_PATH].sort());

  // A changed limit alone (MAX_STEPS) has no TypeScript form, but the committed document catches it.
  const limits = serverDocument() as { components: { schemas: Record<string, { properties: Record<string, { maximum?: number }> }> } };
  limits.components.schemas.GenerateRequest.properties.steps.maximum = 999;
  assert.deepEqual(driftedFiles(await generate(limits as unknown as JsonValue)), [OPENAPI_PATH]);
});

test("keys are sorted at every depth, so the committed document does not churn with declaration order", () => {
  const text = readFileSync(OPENAPI_PATH, "utf8");
  const doc = JSON.parse(text) as Record<string, JsonValue>;
  const check = (v: JsonValue, at: string): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => check(x, `${at}[${i}]`));
    if (v === null || typeof v !== "object") return;
    const keys = Object.keys(v);
    assert.deepEqual(keys, [...keys].sort(), `keys out of order at ${at}`);
    for (const k of keys) check(v[k], `${at}.${k}`);
  };
  check(doc, "$");
  assert.equal(doc.openapi, "3.1.0");
});
