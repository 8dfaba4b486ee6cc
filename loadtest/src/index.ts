export { loopbackUrl, freePort, TargetError } from "./target.ts";
export { startServer, ServerStartError } from "./server-process.ts";
export type { RunningServer, StartOptions } from "./server-process.ts";
export { runLevel, levelFrom } from "./levels.ts";
export { runLoadtest, checkBudget, BudgetError } from "./run-loadtest.ts";
export type { LoadtestOptions } from "./run-loadtest.ts";
export { writeLatencyChart, latencySeries } from "./plot.ts";
export * from "../k6/lib/shared.js";
export { loadDocuments, XSUM_SAMPLE } from "./fixtures.ts";
