// Adds (or replaces) an artifact's int8 denoiser, built from the artifact's own float denoiser
// weights (fp16 storage widened; no checkpoint needed), with its load-time parity check file.
// The new files are built and measured in a hidden sibling folder, then renamed into the artifact
// and the manifest is rewritten atomically last (core's writeManifest), so a reader sees either the
// old manifest or the new one with every file it names present.
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describeFile, networkOf, readArtifact, weightShapes, writeManifest } from "@ldtext/core";
import type { GraphEntry, Manifest } from "@ldtext/core";
import { buildDenoiser } from "../networks/graphs.ts";
import { DEFAULT_INT8_SCHEME, defaultQuantizeWeight } from "../onnx/blocks.ts";
import type { Int8Scheme } from "../onnx/blocks.ts";
import { EXPORT_ORDER } from "../networks/weights.ts";
import { measureInt8Parity } from "../verify/int8-parity.ts";
import type { Int8ParityReport } from "../verify/int8-parity.ts";
import { weightsFromArtifact } from "../verify/verify.ts";

export const INT8_FILE = "denoiser.int8.onnx";
export const INT8_CHECK_FILE = "denoiser.int8.check.json";

export interface QuantizeArtifactOptions {
  scheme?: Int8Scheme;
  /** Weight names kept in fp32 besides the default exclusions (matched by substring). */
  keepFp32?: readonly string[];
  /** Install even when parity fails (default: only when it passes). */
  force?: boolean;
  /** Parity run: sampling steps and samples (default 50, 8). */
  steps?: number;
  samples?: number;
}

export interface QuantizeArtifactResult {
  installed: boolean;
  parity: Int8ParityReport;
  manifest: Manifest;
}

export async function quantizeArtifact(dirIn: string, o: QuantizeArtifactOptions = {}): Promise<QuantizeArtifactResult> {
  const dir = resolve(dirIn);
  const m = await readArtifact(dir);
  const weights = weightsFromArtifact(dir, m);
  const scheme = o.scheme ?? DEFAULT_INT8_SCHEME;
  const keep = o.keepFp32 ?? [];
  const quantizeWeight = (n: string): boolean => defaultQuantizeWeight(n) && !keep.some((k) => n.includes(k));
  const g = buildDenoiser(m.config, weights, { quantize: "int8", int8Scheme: scheme, quantizeWeight });
  const tmp = join(dir, `.int8-${process.pid}-${Date.now()}`);
  mkdirSync(tmp);
  try {
    const { model, data } = g.serialize({ externalData: { location: `${INT8_FILE}.data` } });
    writeFileSync(join(tmp, INT8_FILE), model);
    writeFileSync(join(tmp, `${INT8_FILE}.data`), data);
    const { report, check } = await measureInt8Parity(dir, { int8File: join(tmp, INT8_FILE), steps: o.steps, samples: o.samples });
    if (!report.ok && !o.force) return { installed: false, parity: report, manifest: m };
    writeFileSync(join(tmp, INT8_CHECK_FILE), JSON.stringify(check) + "\n");
    // The denoiser's block matmuls left in fp32 (the graph holds only Dif's weights).
    const fp32Names = [...weightShapes(m.config, EXPORT_ORDER).keys()].filter((n) => networkOf(n) === "dif" && n.includes(".blocks.") && /\.w[a-z0-9]*$/.test(n) && !quantizeWeight(n));
    const entry: GraphEntry = {
      ...(await describeFile(tmp, INT8_FILE)),
      dtype: "int8",
      inputs: m.graphs.denoiser!.inputs,
      outputs: m.graphs.denoiser!.outputs,
      externalData: await describeFile(tmp, `${INT8_FILE}.data`),
      check: await describeFile(tmp, INT8_CHECK_FILE),
      quantization: { scheme, activations: "row", fp32: fp32Names },
    };
    for (const f of [`${INT8_FILE}.data`, INT8_CHECK_FILE, INT8_FILE]) renameSync(join(tmp, f), join(dir, f));
    const manifest: Manifest = { ...m, graphs: { ...m.graphs, denoiser_int8: entry } };
    await writeManifest(dir, manifest);
    return { installed: true, parity: report, manifest };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
