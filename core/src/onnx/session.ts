// The one way this project opens an ONNX Runtime session (server workers, offline sampling, export
// checks, the serving benchmark): CPU provider (CUDA first when asked), full graph optimization,
// one inter-op thread (graphs run sequentially), ORT's own logging quiet below errors. Callers say
// only what differs between them: threads, provider, the allocator settings.
import * as ort from "onnxruntime-node";

export interface SessionOptions {
  /** Intra-op threads; absent = ORT's default (one per core). */
  threads?: number;
  /** "cuda" lists the CUDA provider first, with CPU for what it does not run. Default "cpu". */
  ep?: "cpu" | "cuda";
  /** CUDA device (ep "cuda"); default 0. */
  deviceId?: number;
  /** ORT's CPU arena allocator and memory-pattern planning; absent = ORT's default (on). */
  cpuMemArena?: boolean;
  memPattern?: boolean;
  /** Default "all"; quantization calibration reads unfused activations at "basic". */
  optimization?: "basic" | "all";
}

export function sessionOptions(o: SessionOptions = {}): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: o.ep === "cuda" ? [{ name: "cuda", deviceId: o.deviceId ?? 0 }, "cpu"] : ["cpu"],
    graphOptimizationLevel: o.optimization ?? "all",
    ...(o.threads !== undefined ? { intraOpNumThreads: o.threads } : {}),
    interOpNumThreads: 1,
    logSeverityLevel: 3,
    ...(o.cpuMemArena !== undefined ? { enableCpuMemArena: o.cpuMemArena } : {}),
    ...(o.memPattern !== undefined ? { enableMemPattern: o.memPattern } : {}),
  };
}

/** Opens a graph file (external data beside it) or serialized model bytes. */
export function createSession(model: string | Uint8Array, o: SessionOptions = {}): Promise<ort.InferenceSession> {
  return typeof model === "string" ? ort.InferenceSession.create(model, sessionOptions(o)) : ort.InferenceSession.create(model, sessionOptions(o));
}
