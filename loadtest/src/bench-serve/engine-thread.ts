// One engine-ceiling worker thread: its own ONNX Runtime sessions (the server's session options),
// running whole samples in a closed loop — initial noise, `steps` denoiser calls on `batch` rows with
// the DDIM update (core's math, as the server does), the decoder — with no HTTP, no scheduler and no
// thread messaging per step. What it reaches is the ceiling the server is compared with.
import { parentPort } from "node:worker_threads";
import * as ort from "onnxruntime-node";
import { ddimStep, gaussianNoiseInto, makeSchedule, timeGrid } from "@ldtext/core";
import type { EngineInit, EngineRun, EngineRunReply, EngineMessage } from "./engine-protocol.ts";

if (!parentPort) throw new Error("engine-thread.ts must run in a worker thread");
const port = parentPort;
ort.env.logLevel = "fatal";

let denoiser: ort.InferenceSession | null = null;
let decoder: ort.InferenceSession | null = null;
let init: EngineInit | null = null;

async function open(path: string, threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, { executionProviders: ["cpu"], graphOptimizationLevel: "all", intraOpNumThreads: threads, interOpNumThreads: 1, logSeverityLevel: 3 });
}

/** One batch of samples start to finish; returns the time spent inside denoiser calls. */
async function sampleBatch(run: EngineRun, seed: number): Promise<{ denoiserMs: number }> {
  const { L, d } = init!;
  const ld = L * d;
  const B = run.batch;
  const sch = makeSchedule(init!.schedule);
  const grid = timeGrid(run.steps);
  let x: Float32Array = new Float32Array(B * ld);
  for (let r = 0; r < B; r++) gaussianNoiseInto(x, r * ld, seed, 0, r, ld);
  let xsc: Float32Array = new Float32Array(B * ld);
  let x0: Float32Array = new Float32Array(B * ld);
  let denoiserMs = 0;
  for (let i = 0; i < run.steps; i++) {
    const t = new Float32Array(B).fill(grid[i]);
    const t0 = performance.now();
    const out = await denoiser!.run({
      x_t: new ort.Tensor("float32", x, [B, L, d]),
      x_sc: new ort.Tensor("float32", xsc, [B, L, d]),
      t: new ort.Tensor("float32", t, [B]),
    });
    denoiserMs += performance.now() - t0;
    x0 = out.x0_hat.data as Float32Array;
    const next = new Float32Array(B * ld);
    for (let r = 0; r < B; r++) {
      const at = r * ld;
      ddimStep(x.subarray(at, at + ld), x0.subarray(at, at + ld), grid[i], grid[i + 1], sch, next.subarray(at, at + ld));
    }
    x = next;
    xsc = x0;
  }
  await decoder!.run({ latents: new ort.Tensor("float32", x0, [B, L, d]) }, ["ids"]);
  return { denoiserMs };
}

async function handleRun(run: EngineRun): Promise<void> {
  try {
    const started = performance.now();
    const end = started + run.seconds * 1000;
    let samples = 0;
    let batches = 0;
    let denoiserMs = 0;
    const batchMs: number[] = [];
    // Closed loop: a new batch starts while time is left; the last one is finished, not cut.
    do {
      const b0 = performance.now();
      const r = await sampleBatch(run, run.seed + batches);
      batchMs.push(performance.now() - b0);
      denoiserMs += r.denoiserMs;
      samples += run.batch;
      batches++;
    } while (performance.now() < end);
    const reply: EngineRunReply = { kind: "done", samples, batches, ms: performance.now() - started, denoiserMs, batchMs };
    port.postMessage(reply);
  } catch (e) {
    port.postMessage({ kind: "error", error: e instanceof Error ? e.message : String(e) } satisfies EngineRunReply);
  }
}

port.on("message", (m: EngineMessage) => {
  if (m.kind === "init") {
    init = m;
    void (async () => {
      try {
        denoiser = await open(m.denoiser, m.threads);
        decoder = await open(m.decoder, m.threads);
        port.postMessage({ kind: "ready" } satisfies EngineRunReply);
      } catch (e) {
        port.postMessage({ kind: "error", error: e instanceof Error ? e.message : String(e) } satisfies EngineRunReply);
      }
    })();
  } else if (m.kind === "run") void handleRun(m);
  else if (m.kind === "close") {
    void (async () => {
      await denoiser?.release();
      await decoder?.release();
      port.close();
    })();
  }
});
