// @ldtext/server: the inference server. Start one with `startServer(loadSettings())` (or `npm start`);
// build the OpenAPI document without a server with `buildOpenApiDocument()`.
export { startServer } from "./server.ts";
export type { RunningServer } from "./server.ts";
export { loadSettings, ServerSettingsSchema, SettingsError } from "./settings/index.ts";
export type { ServerSettings } from "./settings/index.ts";
export { createApp, openApiDocument, API_VERSION } from "./http/app.ts";
export type { AppDeps, Lifecycle } from "./http/app.ts";
export { buildOpenApiDocument } from "./openapi.ts";
export type * from "./inference/types.ts";
