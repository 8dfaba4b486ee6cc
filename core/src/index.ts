// @ldtext/core: the model contract shared by training, export and the server (no heavy dependencies).
export * from "./config.ts";
export * from "./tokenizer.ts";
