// Bundles the playground's browser script with the SDK into the server's
// server/src/playground/static/playground.min.js (committed), which the server serves at
// /playground/app.js as a plain file.
// Why a committed build and not bundling at server start: the server image (deploy/docker) carries
// only core/ and server/ with production dependencies, so neither esbuild nor clients/sdk is there
// at run time; a committed bundle is served as a plain file, and bundle.test.ts fails when it is
// stale. Run `npm run playground:build` after changing browser/app.ts or the SDK.
// Why the source lives here and the output in the server: the page is a client of the SDK, and the
// SDK's contract tests run a real server, so a server that built its own page would depend on the
// SDK and close a cycle; the server only needs the bytes.
// The SDK comes in as the JavaScript the @ldtext/sdk package ships (clients/build/build.ts's
// sdkBundle), not from its TypeScript sources: one build of the SDK for every shipped artifact.
import { randomBytes } from "node:crypto";
import { renameSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { builtSdkPlugin, sdkBundle } from "../../build/build.ts";

export const ENTRY = fileURLToPath(new URL("./browser/app.ts", import.meta.url));
// A file path, not an import: the server serves whatever bytes are there (server/src/playground/index.ts).
export const BUNDLE_PATH = fileURLToPath(new URL("../../../server/src/playground/static/playground.min.js", import.meta.url));

export async function bundlePlayground(): Promise<string> {
  const r = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: ["chrome116", "firefox124", "safari17"],
    minify: true,
    legalComments: "none",
    charset: "utf8",
    logLevel: "silent",
    plugins: [builtSdkPlugin(await sdkBundle())],
  });
  return r.outputFiles[0].text;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const js = await bundlePlayground();
  const tmp = `${BUNDLE_PATH}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, js);
  renameSync(tmp, BUNDLE_PATH);
  console.log(`wrote ${BUNDLE_PATH} (${(js.length / 1024).toFixed(1)} KiB)`);
}
