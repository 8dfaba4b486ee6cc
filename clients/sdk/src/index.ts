// @ldtext/sdk: a typed client for the ldtext inference server (see clients/README.md).
export { DiffusionTextClient } from "./client.ts";
export { ApiError, TimeoutError, parseRetryAfter, statusOfCode } from "./errors.ts";
export { readSse } from "./sse.ts";
export type { SseMessage } from "./sse.ts";
export type * from "./types.ts";
export type { paths, components } from "./generated/schema.d.ts";
