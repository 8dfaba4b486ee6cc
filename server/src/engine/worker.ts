// Engine worker: owns the ONNX Runtime sessions of one model version. session.run blocks the thread
// that calls it, so it runs here and never on the HTTP thread.
import { parentPort } from "node:worker_threads";
import * as ort from "onnxruntime-node";
import type { ExecutionProvider, FromWorker, InitRequest, RunRequest, StepRequest, ToWorker, WireTensor } from "./protocol.ts";
import { applySampler, coreMath, initLatents } from "@ldtext/core";
import type { SamplingMath } from "@ldtext/core";

if (!parentPort) throw new Error("engine/worker.ts must run in a worker thread");
const port = parentPort;
const sessions = new Map<string, ort.InferenceSession>();
// ORT's own logger would print the (expected) CUDA load failure in colour on stderr; we log it
// ourselves, once, as a structured fallback line.
ort.env.logLevel = "fatal";

function reply(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

async function open(path: string, ep: ExecutionProvider, init: InitRequest): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, {
    executionProviders: ep === "cuda" ? [{ name: "cuda", deviceId: init.deviceId }, "cpu"] : ["cpu"],
    graphOptimizationLevel: "all",
    intraOpNumThreads: init.intraOpThreads,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
    enableCpuMemArena: init.cpuMemArena ?? true,
    enableMemPattern: init.memPattern ?? true,
  });
}

function firstLine(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  // ORT appends its own coloured log lines; keep the first sentence.
  // eslint-disable-next-line no-control-regex -- strip ANSI colour codes
  return s.replace(/\u001b\[[0-9;]*m/g, "").split("\n")[0].slice(0, 400);
}

let math: SamplingMath | null = null;

async function handleInit(init: InitRequest): Promise<void> {
  math = coreMath(init.schedule);
  let ep: ExecutionProvider = init.ep === "cpu" ? "cpu" : "cuda";
  let fallbackReason: string | undefined;
  try {
    for (const [name, path] of Object.entries(init.graphs)) {
      try {
        sessions.set(name, await open(path, ep, init));
      } catch (e) {
        if (ep !== "cuda") throw e;
        fallbackReason = `CUDA execution provider unavailable: ${firstLine(e)}`;
        if (init.strict) throw new Error(`${fallbackReason} (EP=cuda with EP_STRICT set: not falling back to CPU)`);
        ep = "cpu";
        for (const s of sessions.values()) await s.release();
        sessions.clear();
        for (const [n, p] of Object.entries(init.graphs)) sessions.set(n, await open(p, "cpu", init));
        break;
      }
    }
    reply({ kind: "init", ok: true, ep, fallbackReason });
  } catch (e) {
    reply({ kind: "init", ok: false, error: firstLine(e), fallbackReason });
  }
}

function toOrt(t: WireTensor): ort.Tensor {
  return t.type === "int64" ? new ort.Tensor("int64", new BigInt64Array(t.data), t.dims) : new ort.Tensor("float32", new Float32Array(t.data), t.dims);
}

async function handleRun(req: RunRequest): Promise<void> {
  const session = sessions.get(req.graph);
  if (!session) {
    reply({ kind: "run", id: req.id, error: `no session for graph ${req.graph}` });
    return;
  }
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(req.feeds)) feeds[name] = toOrt(t);
    const out = await session.run(feeds, req.outputs);
    const outputs: Record<string, WireTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const name of req.outputs) {
      const t = out[name];
      const typed = t.data as Float32Array | BigInt64Array;
      // Copy into a fresh buffer we own (ORT's output may be a view on a larger buffer).
      const copy = typed.slice();
      outputs[name] = { type: t.type === "int64" ? "int64" : "float32", dims: [...t.dims], data: copy.buffer as ArrayBuffer };
      transfer.push(copy.buffer as ArrayBuffer);
    }
    reply({ kind: "run", id: req.id, outputs }, transfer);
  } catch (e) {
    reply({ kind: "run", id: req.id, error: firstLine(e) });
  }
}

async function handleStep(req: StepRequest): Promise<void> {
  const session = sessions.get("denoiser");
  if (!session || !math) {
    reply({ kind: "run", id: req.id, error: "no denoiser session" });
    return;
  }
  try {
    const x = new Float32Array(req.feeds.x_t.data);
    const plan = { rows: x.length / req.ld, x, xsc: x, t: new Float32Array(0), samples: req.samples };
    initLatents(plan, math, req.ld); // in place: x is the x_t feed's buffer
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(req.feeds)) feeds[name] = toOrt(t);
    const out = await session.run(feeds, ["x0_hat"]);
    const res = applySampler(out.x0_hat.data as Float32Array, plan, math, req.ld);
    const outputs: Record<string, WireTensor> = {
      x: { type: "float32", dims: [req.samples.length, req.ld], data: res.x.buffer as ArrayBuffer },
      x0: { type: "float32", dims: [req.samples.length, req.ld], data: res.x0.buffer as ArrayBuffer },
    };
    reply({ kind: "run", id: req.id, outputs }, [res.x.buffer as ArrayBuffer, res.x0.buffer as ArrayBuffer]);
  } catch (e) {
    reply({ kind: "run", id: req.id, error: firstLine(e) });
  }
}

port.on("message", (msg: ToWorker) => {
  if (msg.kind === "init") void handleInit(msg);
  else if (msg.kind === "step") void handleStep(msg);
  else if (msg.kind === "run") void handleRun(msg);
  else if (msg.kind === "close") {
    void (async () => {
      for (const s of sessions.values()) await s.release().catch(() => {});
      sessions.clear();
      port.close();
    })();
  }
});
