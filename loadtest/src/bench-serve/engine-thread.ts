// One engine-ceiling worker thread: its own ONNX Runtime sessions (core/onnx's createSession and
// OrtModel, as the server's engine worker), running whole samples in a closed loop — initial noise,
// `steps` denoiser calls on `batch` rows with core's per-step sampler update (DDIM), the decoder —
// with no HTTP, no queue and no thread messaging per step. What it reaches is the ceiling the server
// is compared with.
import { parentPort } from "node:worker_threads";
import * as ort from "onnxruntime-node";
import { applySampler, buildStepBatch, coreMath, initLatents } from "@ldtext/core";
import type { BatchJob, SamplingMath } from "@ldtext/core";
import { OrtModel, createSession } from "@ldtext/core/onnx";
import type { EngineRun, EngineRunReply, EngineMessage } from "./engine-protocol.ts";

if (!parentPort) throw new Error("engine-thread.ts must run in a worker thread");
const port = parentPort;
ort.env.logLevel = "fatal";

let model: OrtModel | null = null;
let math: SamplingMath | null = null;

/**
 * One batch of samples start to finish — one job of `batch` samples, stepped the way a scheduler lane
 * steps it (core's buildStepBatch, initLatents, applySampler) but with no queue; returns the time
 * spent inside denoiser calls.
 */
async function sampleBatch(run: EngineRun, seed: number): Promise<{ denoiserMs: number }> {
  const m = model!;
  const ld = m.L * m.d;
  const B = run.batch;
  const job: BatchJob = { spec: { n: B, guidance: 0, sampler: "ddim", seed }, rows: B, grid: math!.timeGrid(run.steps), step: 0, x: new Float32Array(B * ld), xsc: new Float32Array(B * ld) };
  let x0: Float32Array = new Float32Array(B * ld);
  let denoiserMs = 0;
  for (; job.step < run.steps; job.step++) {
    const batch = buildStepBatch([job], ld, 0);
    initLatents(batch, math!, ld);
    const t0 = performance.now();
    const out = await m.denoise(batch);
    denoiserMs += performance.now() - t0;
    const res = applySampler(out, batch, math!, ld);
    job.x = res.x;
    job.xsc = x0 = res.x0;
  }
  await m.decode(x0, B);
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
    void (async () => {
      try {
        // The server's session options and model class (generate graphs: no condition encoder).
        const denoiser = await createSession(m.denoiser, { threads: m.threads });
        const decoder = await createSession(m.decoder, { threads: m.threads });
        math = coreMath(m.schedule);
        model = new OrtModel({ denoiser, decoder }, { L: m.L, d: m.d, condDim: 0 }, math);
        port.postMessage({ kind: "ready" } satisfies EngineRunReply);
      } catch (e) {
        port.postMessage({ kind: "error", error: e instanceof Error ? e.message : String(e) } satisfies EngineRunReply);
      }
    })();
  } else if (m.kind === "run") void handleRun(m);
  else if (m.kind === "close") {
    void (async () => {
      await model?.release();
      port.close();
    })();
  }
});
