// @ldtext/export: trained checkpoints → verified ONNX artifacts (see docs/MODEL-SPEC.md).
export { writeArtifact, writeRandomArtifact, GRAPH_FILES, sha256 } from "./artifact/write.ts";
export type { WriteArtifactOptions, RandomArtifactOptions, WrittenArtifact } from "./artifact/write.ts";
export { buildManifest } from "./artifact/manifest.ts";
export { exportCheckpoint, exportWeights, trainingRecord } from "./artifact/from-checkpoint.ts";
export type { ExportOptions } from "./artifact/from-checkpoint.ts";
export { verifyArtifact, VerifyError, FP32_BOUND } from "./verify/verify.ts";
export { measureInt8Parity, INT8_X0_RELATIVE_BOUND, INT8_TOKEN_AGREEMENT_BOUND } from "./verify/int8-parity.ts";
export type { Int8ParityReport } from "./verify/int8-parity.ts";
export type { VerifyReport, GraphReport, VerifyOptions } from "./verify/verify.ts";
export { buildEncoder, buildDenoiser, buildDecoder, buildCondEncoder, buildArDecoder, buildArMemory, buildArStep, graphsForTask, GRAPH_NAMES, AR_CACHED_GRAPHS } from "./networks/graphs.ts";
export type { GraphName } from "./networks/graphs.ts";
export { randomWeights, checkWeights } from "./networks/weights.ts";
export { GraphBuilder, OPSET } from "./onnx/graph.ts";
export { tinyConfig, placeholderVocabulary } from "./testing.ts";
export { sampleArtifact } from "./sample/index.ts";
export type { DenoiserPrecision, SampleArtifactOptions, SampleArtifactResult } from "./sample/index.ts";
export { probeArtifactSnr } from "./sample/probe.ts";
export type { ProbeArtifactOptions } from "./sample/probe.ts";
