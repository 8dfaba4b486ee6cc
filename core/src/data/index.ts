export * from "./jsonl.ts";
export * from "./datasets.ts";
export * from "./wiki.ts";
export * from "./batch.ts";
