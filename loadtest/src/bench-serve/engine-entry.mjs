// Worker bootstrap: Node 20 does not apply a worker's `--import tsx` to a .ts entry point, so this
// plain-JS entry registers tsx's ESM hooks and then imports the TypeScript worker (as the server's
// engine/worker-entry.mjs does).
import { register } from "tsx/esm/api";

register();
await import("./engine-thread.ts");
