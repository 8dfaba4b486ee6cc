// The command-line options both load runners share (`npm run loadtest` and `npm run loadtest:k6`):
// what to hit, which plan, where the models and results live, and the request seed/key.
import { join } from "node:path";

const repoRoot = new URL("../../", import.meta.url).pathname;

export const RUN_OPTIONS = {
  url: { type: "string" },
  profile: { type: "string", default: "default" },
  routes: { type: "string", default: "generate,summarize" },
  models: { type: "string", default: join(repoRoot, "models") },
  out: { type: "string", default: join(repoRoot, "loadtest/results") },
  seed: { type: "string", default: "1" },
  "api-key": { type: "string", default: process.env.LDTEXT_API_KEY },
} as const;
