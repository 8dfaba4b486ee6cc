// Lint: typescript-eslint's recommended rules on every workspace; `any` is banned in code we export.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "models/**", "reports/**", "loadtest/results/**", "clients/sdk/src/generated/**", "**/*.min.js", "server/static/vendor/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", setImmediate: "readonly", performance: "readonly", fetch: "readonly", AbortController: "readonly", AbortSignal: "readonly", TextEncoder: "readonly", TextDecoder: "readonly", structuredClone: "readonly", queueMicrotask: "readonly", Response: "readonly", Request: "readonly", Headers: "readonly", ReadableStream: "readonly", __ENV: "readonly", open: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
      // Workspaces import each other only through their entry points (`@ldtext/<package>`, the
      // package.json "exports" "."), never `@ldtext/<package>/<path>`: what a package offers is what
      // its index exports, and moving a file inside it breaks no other package. The one second entry
      // point is `@ldtext/core/onnx` (core's "./onnx" export): the ONNX Runtime side of the model
      // contract, kept out of core's main entry so training never loads onnxruntime-node.
      // Server test fixtures are the second allowed subpath (`@ldtext/server/testing`: a real server on
      // loopback with written test models, for the clients' and deploy's tests). A relative path into
      // another workspace's src/ is the same deep import in disguise and is refused too.
      "no-restricted-imports": ["error", { patterns: [
        { group: ["@ldtext/*/**", "!@ldtext/core/onnx", "!@ldtext/server/testing"], message: "Import the workspace package's entry point (`@ldtext/<package>`, `@ldtext/core/onnx` or `@ldtext/server/testing`), not a file inside it; export what you need from its src/index.ts." },
        { regex: "^(\\.\\./)+(core|charts|training|export|evaluation|server|loadtest|deploy|clients/sdk|clients/cli|clients/playground)/src/", message: "Do not reach into another workspace by relative path: import its entry point (`@ldtext/<package>`)." },
      ] }],
      "no-restricted-syntax": ["error", { selector: "ImportExpression > Literal[value=/^@ldtext\\/(?!core\\/onnx$|server\\/testing$)[^/]+\\//]", message: "Import the workspace package's entry point (`@ldtext/<package>`, or `@ldtext/core/onnx`), not a file inside it." }],
    },
  },
  {
    files: ["**/*.test.ts", "**/*.bench.ts"],
    rules: { "@typescript-eslint/no-non-null-assertion": "off" },
  },
);
