export { sampleArtifact } from "./sample.ts";
export type { SampleArtifactOptions, SampleArtifactResult } from "./sample.ts";
