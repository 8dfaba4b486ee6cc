// The SDK's code generation, as functions so the drift test can run exactly what `npm run sdk:generate`
// runs: the server's OpenAPI 3.1 document (built from the Hono app object, no server started, default
// configuration so the stated limits do not depend on the caller's environment) → `clients/openapi.json`
// with recursively sorted keys → `clients/sdk/src/generated/schema.d.ts` via openapi-typescript.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { COMMENT_HEADER, astToString } from "openapi-typescript";
import type { OpenAPI3 } from "openapi-typescript";
import { buildOpenApiDocument } from "@ldtext/server";

const here = dirname(fileURLToPath(import.meta.url));
export const CLIENTS_DIR = resolve(here, "../..");
export const OPENAPI_PATH = join(CLIENTS_DIR, "openapi.json");
export const SCHEMA_PATH = join(CLIENTS_DIR, "sdk/src/generated/schema.d.ts");

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Object keys sorted at every depth (arrays keep their order): the committed file changes only when the API does. */
export function sortKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: { [key: string]: JsonValue } = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
    return out;
  }
  return value;
}

/** The server's document as the committed JSON text. */
export function serverDocument(): JsonValue {
  // The app states limits from its config; an empty environment pins them to the defaults.
  return JSON.parse(JSON.stringify(buildOpenApiDocument({}))) as JsonValue;
}

export function renderOpenApi(doc: JsonValue): string {
  return JSON.stringify(sortKeys(doc), null, 2) + "\n";
}

/** TypeScript declarations for openapi-fetch, from the document text. */
export async function renderSchemaTypes(openApiText: string): Promise<string> {
  // defaultNonNullable off: a field with a server-side default is optional to send.
  const ast = await openapiTS(JSON.parse(openApiText) as OpenAPI3, { silent: true, defaultNonNullable: false });
  return COMMENT_HEADER + astToString(ast);
}

/** Both generated files from a document: what `sdk:generate` writes. */
export async function generate(doc: JsonValue = serverDocument()): Promise<{ openapi: string; schema: string }> {
  const openapi = renderOpenApi(doc);
  return { openapi, schema: await renderSchemaTypes(openapi) };
}

/** Files whose committed text differs from a fresh generation (empty = no drift). */
export function driftedFiles(fresh: { openapi: string; schema: string }, paths = { openapi: OPENAPI_PATH, schema: SCHEMA_PATH }): string[] {
  const read = (p: string) => {
    try {
      return readFileSync(p, "utf8");
    } catch {
      return null;
    }
  };
  const out: string[] = [];
  if (read(paths.openapi) !== fresh.openapi) out.push(paths.openapi);
  if (read(paths.schema) !== fresh.schema) out.push(paths.schema);
  return out;
}

/** Write to a temp name in the same folder, then rename (never a half-written file). */
export function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
