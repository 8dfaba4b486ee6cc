// The one sampling loop (step-level continuous batching) and its pieces, shared by the server,
// offline sampling (export) and training samples.
export * from "./types.ts";
export * from "./errors.ts";
export * from "./estimate.ts";
export * from "./batch.ts";
export * from "./apply.ts";
export * from "./math.ts";
export * from "./scheduler.ts";
