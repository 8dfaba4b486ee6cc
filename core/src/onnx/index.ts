// @ldtext/core/onnx: the model contract's ONNX Runtime side — the session factory and a model
// version's graphs as the scheduler's ModelBackend. A subpath of its own so that core's main entry
// stays free of onnxruntime-node (training imports core and never loads ORT); the packages that
// import this one (server, export, loadtest) depend on onnxruntime-node themselves.
export * from "./session.ts";
export * from "./model.ts";
