// Step 1 of `npm run sdk:generate`: the OpenAPI 3.1 document from the server's app object (no server
// started, no model) → clients/openapi.json (sorted keys). Optional argument: another output path.
import { OPENAPI_PATH, renderOpenApi, serverDocument, writeAtomic } from "./codegen.ts";

const out = process.argv[2] ?? OPENAPI_PATH;
writeAtomic(out, renderOpenApi(serverDocument()));
console.log(`wrote ${out}`);
