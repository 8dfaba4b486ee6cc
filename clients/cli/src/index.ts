// @ldtext/cli: the `diffusion-text` command as a function (for embedding and tests).
export { runCli, EXIT } from "./run.ts";
export type { CliIO } from "./run.ts";
export { parseCommand, UsageError, USAGE } from "./args.ts";
export type { Command, CommandName } from "./args.ts";
