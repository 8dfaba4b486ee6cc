// Worker bootstrap. On Node 20 a worker's `--import tsx` is not applied to a .ts entry point (the
// entry is resolved before the loader hooks exist), so this plain-JS entry registers tsx's ESM
// hooks first and then imports the TypeScript worker — the same source `npm start` runs.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");
