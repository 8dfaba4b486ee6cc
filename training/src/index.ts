// @ldtext/training: networks (MODEL-SPEC), the joint objective of configurations 1–3 and the
// trainer (the weight inventory, normalization state and checkpoint format it uses are core's).
// Other workspaces import only this entry point (no
// `@ldtext/training/<path>`): evaluation (reference LM, denoiser profile, experiments) uses the
// backend, layers, optimizer, data and DDIM helpers exported below.
export { buildNetworks } from "./model/inference.ts";
export type { InferenceNetworks } from "./model/inference.ts";
export { LatentDiffusionModel, initWeights } from "./model/model.ts";
export { Encoder, Decoder, Denoiser, ConditionEncoder, createNetworks, timestepEmbedding } from "./model/networks.ts";
export { Normalizer } from "./model/normalize.ts";
export { JointObjective } from "./train/objective.ts";
export type { Batch, StepNoise, StepLosses, LossConfigId } from "./train/objective.ts";
export { Trainer } from "./train/trainer.ts";
export type { TrainSummary, TrainRecord, ValRecord, LogRecord } from "./train/trainer.ts";
export { TrainConfigSchema, resolveTrainConfig } from "./train/config.ts";
export type { TrainConfig, TrainConfigInput, ResolvedTrainConfig } from "./train/config.ts";
export { probeFixedSnr } from "./train/snr-probe.ts";
export { tokenizeSplit } from "./train/data.ts";
export { loadInitSource, loadArtifactAsCheckpoint } from "./train/init-source.ts";
export { initBackend, BACKEND_KINDS } from "./backend/index.ts";
export type { BackendKind, BackendInfo, InitBackendOptions } from "./backend/index.ts";
export { block, linear, rmsNorm } from "./model/layers.ts";
export type { Weights } from "./model/layers.ts";
export { softmaxCrossEntropy } from "./ops/index.ts";
export { AdamW, DEFAULT_OPTIMIZER, learningRate } from "./train/optimizer.ts";
export type { OptimizerConfig } from "./train/optimizer.ts";
export { BatchSampler, loadCorpus } from "./train/data.ts";
export type { Corpus, Example, TokenizedSplit } from "./train/data.ts";
export { ddimAlong } from "./train/samples.ts";
