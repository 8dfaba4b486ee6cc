// Step 2 of `npm run sdk:generate`: clients/openapi.json → clients/sdk/src/generated/schema.d.ts
// (openapi-typescript), the types openapi-fetch checks every call against.
import { readFileSync } from "node:fs";
import { OPENAPI_PATH, SCHEMA_PATH, renderSchemaTypes, writeAtomic } from "./codegen.ts";

const input = process.argv[2] ?? OPENAPI_PATH;
const out = process.argv[3] ?? SCHEMA_PATH;
writeAtomic(out, await renderSchemaTypes(readFileSync(input, "utf8")));
console.log(`wrote ${out}`);
