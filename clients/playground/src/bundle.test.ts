import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BUNDLE_PATH, bundlePlayground } from "./build.ts";

test("the committed playground bundle equals a fresh build (run `npm run playground:build` if not)", async () => {
  const fresh = await bundlePlayground();
  assert.ok(fresh.includes("/generate/stream"), "the SDK is bundled in");
  assert.equal(readFileSync(BUNDLE_PATH, "utf8"), fresh, "server/src/playground/static/playground.min.js is stale: run `npm run playground:build`");
});
