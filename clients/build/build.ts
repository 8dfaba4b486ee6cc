// The one build of the shipped client JavaScript. Every artifact that carries SDK code takes it from
// sdkBundle(): the @ldtext/sdk package (dist/), the diffusion-text CLI (its single-file bin), and the
// playground bundle (clients/playground/src/build.ts). Packing runs it (each package's `prepack`), the
// packaging test packs through it and the playground's drift check bundles through it, so no shipped
// JavaScript is built any other way and none of it can fall behind the sources.
//
//   SDK: esbuild → dist/index.js (ESM, platform-neutral: no Node built-ins, so browsers get the same
//        file), with its two small runtime libraries (openapi-fetch, eventsource-parser) bundled in,
//        hence no runtime dependencies; tsc → dist/*.d.ts (+ the generated OpenAPI types);
//        THIRD_PARTY_LICENSES.md lists every bundled package with its license text.
//   CLI: esbuild → dist/diffusion-text.js (Node, shebang), the SDK's built JS bundled in, so the
//        tarball installs alone (`npm install -g`) with no dependency on an unpublished SDK.
//
// Usage: tsx clients/build/build.ts [sdk|cli]...   (default both; writes clients/{sdk,cli}/dist)
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Plugin } from "esbuild";
import ts from "typescript";

const here = dirname(fileURLToPath(import.meta.url));
export const CLIENTS_DIR = resolve(here, "..");
export const SDK_DIR = join(CLIENTS_DIR, "sdk");
export const CLI_DIR = join(CLIENTS_DIR, "cli");
const SDK_ENTRY = join(SDK_DIR, "src/index.ts");
const CLI_ENTRY = join(CLI_DIR, "src/main.ts");

/** Oldest runtimes the shipped JS must parse on: Node 18 and the browsers the playground supports. */
export const SDK_TARGET = ["es2022", "node18", "chrome116", "firefox124", "safari17"];

export interface BundledPackage {
  name: string;
  version: string;
  license: string;
  /** The package's LICENSE text ("" when it ships none). */
  text: string;
}

export interface SdkBundle {
  /** dist/index.js: the SDK as one ESM module. */
  js: string;
  /** Third-party packages whose code is in `js`. */
  bundled: BundledPackage[];
}

/** The SDK's JavaScript, built from clients/sdk/src (no files written). */
export async function sdkBundle(): Promise<SdkBundle> {
  const r = await build({
    entryPoints: [SDK_ENTRY],
    bundle: true,
    write: false,
    format: "esm",
    // neutral: Node built-ins are not available to import, so a `node:` import in the client path fails the build.
    platform: "neutral",
    mainFields: ["module", "main"],
    target: SDK_TARGET,
    metafile: true,
    legalComments: "none",
    charset: "utf8",
    logLevel: "silent",
    banner: { js: "// @ldtext/sdk: built from clients/sdk/src by clients/build/build.ts; bundled third-party code: THIRD_PARTY_LICENSES.md" },
  });
  return { js: r.outputFiles[0].text, bundled: bundledPackages(Object.keys(r.metafile.inputs)) };
}

/** The npm packages that input paths (relative to the cwd) come from, with their license texts. */
function bundledPackages(inputs: string[]): BundledPackage[] {
  const roots = new Set<string>();
  for (const input of inputs) {
    const parts = resolve(input).split(sep);
    const at = parts.lastIndexOf("node_modules");
    if (at < 0) continue;
    const depth = parts[at + 1].startsWith("@") ? 3 : 2;
    roots.add(parts.slice(0, at + depth).join(sep));
  }
  return [...roots]
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name: string; version: string; license?: string };
      const file = readdirSync(dir).find((f) => /^licen[cs]e(\.md|\.txt)?$/i.test(f));
      return { name: pkg.name, version: pkg.version, license: pkg.license ?? "UNKNOWN", text: file ? readFileSync(join(dir, file), "utf8").trim() : "" };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function thirdPartyNotice(bundled: BundledPackage[]): string {
  let out = "# Third-party code bundled in this package\n\n";
  out += bundled.length === 0 ? "None.\n" : "The JavaScript in `dist/` includes code from these packages, under their licenses:\n";
  for (const p of bundled) out += `\n## ${p.name}@${p.version} (${p.license})\n\n${p.text ? "```\n" + p.text + "\n```\n" : "(no license file shipped)\n"}`;
  return out;
}

/** esbuild plugin: `@ldtext/sdk` is the built SDK module (what users install), not the TypeScript sources. */
export function builtSdkPlugin(sdk: SdkBundle): Plugin {
  return {
    name: "ldtext-built-sdk",
    setup(b) {
      b.onResolve({ filter: /^@ldtext\/sdk$/ }, () => ({ path: "@ldtext/sdk", namespace: "ldtext-built-sdk" }));
      b.onLoad({ filter: /.*/, namespace: "ldtext-built-sdk" }, () => ({ contents: sdk.js, loader: "js", resolveDir: SDK_DIR }));
    },
  };
}

/** The SDK's declarations: tsc over src/ (tests excluded) into `outDir`, plus the generated OpenAPI types. Throws on any type error. */
export function emitSdkTypes(outDir: string): void {
  const configPath = join(SDK_DIR, "tsconfig.build.json");
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, { outDir }, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail([d]) });
  if (!parsed) throw new Error(`cannot read ${configPath}`);
  if (parsed.errors.length > 0) fail(parsed.errors);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  // Declarations keep the sources' `./x.ts` specifiers; a consumer's compiler wants the `./x.js` that ships.
  const writeFile: ts.WriteFileCallback = (file, text, bom) => ts.sys.writeFile(file, jsSpecifiers(text), bom);
  const emitted = program.emit(undefined, writeFile);
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  if (diagnostics.length > 0) fail(diagnostics);
  // tsc does not copy .d.ts inputs; the emitted declarations import this one.
  mkdirSync(join(outDir, "generated"), { recursive: true });
  copyFileSync(join(SDK_DIR, "src/generated/schema.d.ts"), join(outDir, "generated/schema.d.ts"));
}

/** `./x.ts` and `./x.d.ts` module specifiers (import/export … from, import("…")) → `./x.js`. */
export function jsSpecifiers(declarations: string): string {
  return declarations.replace(/(\bfrom\s+|\bimport\s*\(\s*)(["'])(\.{1,2}\/[^"']*?)(?:\.d)?\.ts\2/g, "$1$2$3.js$2");
}

function fail(diagnostics: readonly ts.Diagnostic[]): never {
  const host = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => process.cwd(), getNewLine: () => "\n" };
  throw new Error(`SDK declarations failed:\n${ts.formatDiagnostics(diagnostics, host)}`);
}

/** Builds the @ldtext/sdk package's dist/ (replaced, never merged with an older build). */
export async function buildSdk(outDir = join(SDK_DIR, "dist"), sdk?: SdkBundle): Promise<SdkBundle> {
  const bundle = sdk ?? (await sdkBundle());
  rmSync(outDir, { recursive: true, force: true });
  emitSdkTypes(outDir);
  writeFileSync(join(outDir, "index.js"), bundle.js);
  writeFileSync(join(outDir, "THIRD_PARTY_LICENSES.md"), thirdPartyNotice(bundle.bundled));
  return bundle;
}

/** The CLI as one Node ESM file with a shebang, the built SDK inside. */
export async function cliBundle(sdk: SdkBundle): Promise<string> {
  const r = await build({
    entryPoints: [CLI_ENTRY],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: ["node18"],
    plugins: [builtSdkPlugin(sdk)],
    legalComments: "none",
    charset: "utf8",
    logLevel: "silent",
    banner: { js: "#!/usr/bin/env node\n// diffusion-text (@ldtext/cli): built from clients/cli/src by clients/build/build.ts; bundled third-party code: THIRD_PARTY_LICENSES.md" },
  });
  return r.outputFiles[0].text;
}

/** Builds the CLI package's dist/. */
export async function buildCli(outDir = join(CLI_DIR, "dist"), sdk?: SdkBundle): Promise<void> {
  const bundle = sdk ?? (await sdkBundle());
  const js = await cliBundle(bundle);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const bin = join(outDir, "diffusion-text.js");
  writeFileSync(bin, js);
  chmodSync(bin, 0o755);
  writeFileSync(join(outDir, "THIRD_PARTY_LICENSES.md"), thirdPartyNotice(bundle.bundled));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const which = process.argv.slice(2);
  const wanted = which.length === 0 ? ["sdk", "cli"] : which;
  const unknown = wanted.filter((w) => w !== "sdk" && w !== "cli");
  if (unknown.length > 0) {
    console.error(`usage: build.ts [sdk|cli]...  (unknown: ${unknown.join(", ")})`);
    process.exit(2);
  }
  const sdk = await sdkBundle();
  if (wanted.includes("sdk")) await buildSdk(undefined, sdk);
  if (wanted.includes("cli")) await buildCli(undefined, sdk);
  for (const w of wanted) {
    const dir = w === "sdk" ? join(SDK_DIR, "dist") : join(CLI_DIR, "dist");
    if (!existsSync(dir)) throw new Error(`${dir} missing after the build`);
    console.error(`built ${relative(process.cwd(), dir) || dir}`);
  }
}
