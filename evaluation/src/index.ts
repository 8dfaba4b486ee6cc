// @ldtext/evaluation: `evaluate` (what `npm run eval` runs), the metrics of METHOD.md §7 as pure
// functions, the reference LM, the denoiser profile and the progress bar of the evaluation commands.
// Other workspaces import only this entry point (no `@ldtext/evaluation/<path>`).
export * from "./run/evaluate.ts";
export * from "./metrics/index.ts";
export * from "./reflm/index.ts";
export { denoiserProfile, type ProfileOptions, type ProfileRow } from "./profile/denoiser-profile.ts";
export { progressBar, type ProgressBar } from "./progress.ts";
