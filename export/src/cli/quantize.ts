// npm run export:quantize -- <artifact dir> [--scheme s7|s8|u8u8] [--keep-fp32 mlp.w2,…] [--force] [--steps 50] [--samples 8]
// Builds the int8 denoiser from the artifact's own float weights, measures its parity on this CPU
// (export/src/verify/int8-parity.ts), and installs it with its load-time check when it passes
// (--force: install anyway). Prints one JSON line; exit 1 when not installed.
import { parseArgs } from "node:util";
import { INT8_SCHEMES } from "../onnx/blocks.ts";
import type { Int8Scheme } from "../onnx/blocks.ts";
import { quantizeArtifact } from "../quantize/artifact.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { scheme: { type: "string" }, "keep-fp32": { type: "string" }, force: { type: "boolean", default: false }, steps: { type: "string" }, samples: { type: "string" } },
});
if (positionals.length !== 1 || (values.scheme !== undefined && !INT8_SCHEMES.includes(values.scheme as Int8Scheme))) {
  console.error(`usage: npm run export:quantize -- <artifact dir> [--scheme ${INT8_SCHEMES.join("|")}] [--keep-fp32 mlp.w2,…] [--force] [--steps 50] [--samples 8]`);
  process.exit(2);
}
try {
  const r = await quantizeArtifact(positionals[0], {
    ...(values.scheme ? { scheme: values.scheme as Int8Scheme } : {}),
    ...(values["keep-fp32"] ? { keepFp32: values["keep-fp32"].split(",").map((s) => s.trim()) } : {}),
    force: values.force,
    ...(values.steps ? { steps: Number(values.steps) } : {}),
    ...(values.samples ? { samples: Number(values.samples) } : {}),
  });
  const p = r.parity;
  console.log(JSON.stringify({ artifact: positionals[0], installed: r.installed, quantization: r.manifest.graphs.denoiser_int8?.quantization, parity: p }));
  console.error(`${r.installed ? "installed" : "NOT installed (parity failed; --force to install)"}: x̂0 rel err ${(100 * p.x0.relErr).toFixed(3)} % (≤ ${100 * p.x0.bound} %), tokens ${(100 * p.tokens.agreement).toFixed(2)} % (≥ ${100 * p.tokens.bound} %) on ${p.cpu.model} [${p.cpu.int8Flags.join(" ")}]`);
  process.exitCode = r.installed ? 0 : 1;
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  console.log(JSON.stringify({ ok: false, error: message }));
  console.error(`export:quantize failed: ${message}`);
  process.exitCode = 1;
}
