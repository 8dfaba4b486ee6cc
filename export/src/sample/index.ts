export { sampleArtifact } from "./sample.ts";
export type { DenoiserPrecision, SampleArtifactOptions, SampleArtifactResult } from "./sample.ts";
