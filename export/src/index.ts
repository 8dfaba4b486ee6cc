// @ldtext/export: trained checkpoints → verified ONNX artifacts (see docs/MODEL-SPEC.md).
export { writeArtifact, writeRandomArtifact, GRAPH_FILES, sha256 } from "./artifact/write.ts";
export type { WriteArtifactOptions, RandomArtifactOptions, WrittenArtifact, GraphRole } from "./artifact/write.ts";
export { buildManifest } from "./artifact/manifest.ts";
export type { TrainingRecord } from "./artifact/manifest.ts";
export { exportCheckpoint, exportWeights, trainingRecord } from "./artifact/from-checkpoint.ts";
export type { ExportOptions, LoadedCheckpoint } from "./artifact/from-checkpoint.ts";
export { verifyArtifact, VerifyError, FP32_BOUND, INT8_RELATIVE_BOUND } from "./verify/verify.ts";
export type { VerifyReport, GraphReport, VerifyOptions } from "./verify/verify.ts";
export { buildEncoder, buildDenoiser, buildDecoder, buildCondEncoder, graphsForTask, GRAPH_NAMES } from "./networks/graphs.ts";
export type { GraphName, NormState } from "./networks/graphs.ts";
export { weightShapes, randomWeights, checkWeights } from "./networks/weights.ts";
export type { WeightMap, WeightTensor } from "./onnx/blocks.ts";
export { GraphBuilder, OPSET } from "./onnx/graph.ts";
export { tinyConfig, placeholderVocabulary } from "./testing.ts";
export { sampleArtifact } from "./sample/index.ts";
export type { DenoiserPrecision, SampleArtifactOptions, SampleArtifactResult } from "./sample/index.ts";
export { probeArtifactSnr } from "./sample/probe.ts";
export type { ProbeArtifactOptions } from "./sample/probe.ts";
