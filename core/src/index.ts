// @ldtext/core: the model contract shared by training, export and the server (no heavy dependencies).
export * from "./config.ts";
export * from "./presets.ts";
export * from "./tokenizer.ts";
export * from "./rng.ts";
export * from "./schedule.ts";
export * from "./sampler.ts";
export * from "./atomic.ts";
export * from "./manifest.ts";
export * from "./data/index.ts";
export * from "./onnx-read.ts";
export * from "./snr-probe.ts";
export * from "./int8-check.ts";
export * from "./cpu.ts";
export * from "./weights.ts";
export * from "./norm-state.ts";
export * from "./checkpoint.ts";
