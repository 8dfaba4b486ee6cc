// Engine worker: owns the ONNX Runtime sessions of one model version, as core's OrtModel (the same
// model class offline sampling runs). session.run blocks the thread that calls it, so it runs here
// and never on the HTTP thread.
import { parentPort } from "node:worker_threads";
import * as ort from "onnxruntime-node";
import { coreMath } from "@ldtext/core";
import { OrtModel, createSession } from "@ldtext/core/onnx";
import type { CallReply, CallRequest, CallResults, ExecutionProvider, FromWorker, InitRequest, RunRequest, ToWorker, WireTensor } from "./protocol.ts";

if (!parentPort) throw new Error("engine/worker.ts must run in a worker thread");
const port = parentPort;
const sessions = new Map<string, ort.InferenceSession>();
let model: OrtModel | null = null;
// ORT's own logger would print the (expected) CUDA load failure in colour on stderr; we log it
// ourselves, once, as a structured fallback line.
ort.env.logLevel = "fatal";

function reply(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

function open(path: string, ep: ExecutionProvider, init: InitRequest): Promise<ort.InferenceSession> {
  return createSession(path, { ep, deviceId: init.deviceId, threads: init.intraOpThreads, cpuMemArena: init.cpuMemArena, memPattern: init.memPattern });
}

function firstLine(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  // ORT appends its own coloured log lines; keep the first sentence.
  // eslint-disable-next-line no-control-regex -- strip ANSI colour codes
  return s.replace(/\u001b\[[0-9;]*m/g, "").split("\n")[0].slice(0, 400);
}

async function handleInit(init: InitRequest): Promise<void> {
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
    const [denoiser, decoder, condEncoder, arDecoder] = [sessions.get("denoiser"), sessions.get("decoder"), sessions.get("cond_encoder"), sessions.get("ar_decoder")];
    const [arMemory, arStep] = [sessions.get("ar_memory"), sessions.get("ar_step")];
    // With ArDec's graphs (DECODER=auto|ar; the loader sends the cached pair when the artifact has
    // it, else ar_decoder), decode is ArDec's greedy loop.
    const arCached = arMemory && arStep ? { memory: arMemory, step: arStep } : undefined;
    const encoder = sessions.get("encoder");
    if (denoiser && decoder) model = new OrtModel({ denoiser, decoder, condEncoder, encoder, arDecoder, arCached }, init.shape, coreMath(init.schedule));
    reply({ kind: "init", ok: true, ep, fallbackReason });
  } catch (e) {
    reply({ kind: "init", ok: false, error: firstLine(e), fallbackReason });
  }
}

function toOrt(t: WireTensor): ort.Tensor {
  return t.type === "int64" ? new ort.Tensor("int64", new BigInt64Array(t.data), t.dims) : new ort.Tensor("float32", new Float32Array(t.data), t.dims);
}

/** One raw graph call: outputs copied into buffers we own (ORT's may be views on a larger one). */
async function runGraph(req: RunRequest): Promise<[CallResults["run"], ArrayBuffer[]]> {
  const session = sessions.get(req.graph);
  if (!session) throw new Error(`no session for graph ${req.graph}`);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(req.feeds)) feeds[name] = toOrt(t);
  const out = await session.run(feeds, req.outputs);
  const outputs: Record<string, WireTensor> = {};
  const transfer: ArrayBuffer[] = [];
  for (const name of req.outputs) {
    const t = out[name];
    const copy = (t.data as Float32Array | BigInt64Array).slice();
    outputs[name] = { type: t.type === "int64" ? "int64" : "float32", dims: [...t.dims], data: copy.buffer as ArrayBuffer };
    transfer.push(copy.buffer as ArrayBuffer);
  }
  return [outputs, transfer];
}

/** The call's answer and the buffers to transfer with it. */
async function answer(req: CallRequest): Promise<[CallResults[keyof CallResults], ArrayBuffer[]]> {
  if (req.kind === "run") return runGraph(req);
  if (!model) throw new Error("no denoiser and decoder sessions");
  switch (req.kind) {
    case "step": {
      const r = await model.step(req.batch);
      return [r, [r.x.buffer as ArrayBuffer, r.x0.buffer as ArrayBuffer]];
    }
    case "denoise": {
      const x0 = (await model.denoise(req.batch)).slice();
      return [x0, [x0.buffer as ArrayBuffer]];
    }
    case "decode": {
      const ids = await model.decode(req.latents, req.rows);
      return [ids, [ids.buffer as ArrayBuffer]];
    }
    case "encode":
      return [await model.encodeCondition(req.tokens), []];
  }
}

async function handleCall(req: CallRequest): Promise<void> {
  try {
    const [value, transfer] = await answer(req);
    reply({ kind: "reply", id: req.id, value } satisfies CallReply, transfer);
  } catch (e) {
    reply({ kind: "reply", id: req.id, error: firstLine(e) });
  }
}

port.on("message", (msg: ToWorker) => {
  if (msg.kind === "init") void handleInit(msg);
  else if (msg.kind === "close") {
    void (async () => {
      for (const s of sessions.values()) await s.release().catch(() => {});
      sessions.clear();
      model = null;
      port.close();
    })();
  } else void handleCall(msg);
});
