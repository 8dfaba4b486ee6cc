// `npm run bench:train`: one full joint-training step (configuration 2, self-conditioning on) of the
// reference config — every network d_model 256, 4 heads, 4 layers, SwiGLU 768; batch 32, length 64,
// vocabulary 8192 — timed on stock tfjs wasm and on the project's CPU path in the same process.
// Prints a human table, where the project path's time goes (per kernel), and one JSON line.
// Options: --steps N (project, default 4), --warmup N (project, default 1), --stock-steps N (default 1;
// 0 skips stock), --stock-warmup N (default 0: the project steps already grew the heap), --batch B,
// --threads T (OpenBLAS), --no-blas (project path as it runs when nblas does not load), --pure-stock,
// --json-only.
//
// "Stock" = tfjs-backend-wasm 4.22's own compute kernels (XNNPACK 2-D matmul, scalar-loop batched and
// transposed matmuls, no fused cross-entropy/AdamW) plus three things it cannot run this step
// without: UnsortedSegmentSum (missing on wasm), and the memory-only patches zero-copy Identity/Cast
// and lean backprop — with tfjs's own copies and retention the batch-32 step exceeds the wasm heap
// and aborts (measured; `--pure-stock` tries it, as the last thing the run does).
import os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { type ModelConfig, modelConfigFromPreset } from "@ldtext/core";
import { blasMatMulStats, initBackend, installLeanBackprop, installWasmKernels, uninstallLeanBackprop } from "../src/backend/index.ts";
import { KernelTimer, type KernelTiming } from "./kernel-timer.ts";
import { type BenchStep, createReferenceStep, STEP_SOURCE } from "./reference-step.ts";

interface Args {
  steps: number;
  stockSteps: number;
  warmup: number;
  stockWarmup: number;
  pureStock: boolean;
  noBlas: boolean;
  batch: number;
  threads: number | undefined;
  jsonOnly: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { steps: 4, stockSteps: 1, warmup: 1, stockWarmup: 0, pureStock: false, noBlas: false, batch: 32, threads: undefined, jsonOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a non-negative number`);
      return v;
    };
    if (a === "--steps") args.steps = Math.max(1, num());
    else if (a === "--stock-steps") args.stockSteps = num();
    else if (a === "--warmup") args.warmup = num();
    else if (a === "--stock-warmup") args.stockWarmup = num();
    else if (a === "--pure-stock") args.pureStock = true;
    else if (a === "--no-blas") args.noBlas = true;
    else if (a === "--batch") args.batch = Math.max(1, num());
    else if (a === "--threads") args.threads = Math.max(1, num());
    else if (a === "--json-only") args.jsonOnly = true;
    else throw new Error(`unknown option ${a} (see the header of training/bench/train.bench.ts)`);
  }
  return args;
}

function referenceConfig(): ModelConfig {
  const net = { dModel: 256, heads: 4, layers: 4, ffn: 768 };
  return modelConfigFromPreset("small", "generate", 8192, { enc: net, dec: net, dif: net, maxLen: 64 });
}

interface Measured {
  /** Losses of the first step run (warm-up or measured): both paths start from the same weights. */
  firstLosses: { lossDif: number; lossAe: number };
  stepMs: number[];
  /** Process CPU time per step (all threads; OpenBLAS's spinning workers count too). */
  cpuMs: number[];
  tokensPerSec: number;
  flopsPerStep: number;
  losses: { lossDif: number; lossAe: number };
}

function measure(step: BenchStep, warmup: number, steps: number, tokens: number, log: (s: string) => void, label: string): Measured {
  let losses = { lossDif: NaN, lossAe: NaN };
  let firstLosses: { lossDif: number; lossAe: number } | null = null;
  for (let i = 0; i < warmup; i++) {
    const t0 = performance.now();
    losses = step.run();
    firstLosses ??= losses;
    log(`  ${label} warm-up step ${i + 1}/${warmup}: ${((performance.now() - t0) / 1000).toFixed(2)} s (L_dif ${losses.lossDif.toFixed(5)}, L_ae ${losses.lossAe.toFixed(5)})`);
  }
  const stepMs: number[] = [];
  const cpuMs: number[] = [];
  blasMatMulStats.flops = 0;
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    losses = step.run();
    stepMs.push(performance.now() - t0);
    firstLosses ??= losses;
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
    log(`  ${label} step ${i + 1}/${steps}: ${(stepMs[i] / 1000).toFixed(2)} s (L_dif ${losses.lossDif.toFixed(5)}, L_ae ${losses.lossAe.toFixed(5)})`);
  }
  const total = stepMs.reduce((a, b) => a + b, 0);
  return { firstLosses: firstLosses ?? losses, stepMs, cpuMs, tokensPerSec: (tokens * steps * 1000) / total, flopsPerStep: blasMatMulStats.flops / steps, losses };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function breakdownTable(rows: KernelTiming[], stepMs: number): string {
  const total = rows.reduce((a, r) => a + r.ms, 0);
  const lines = [`  ${"kernel".padEnd(22)} ${"ms/step".padStart(9)} ${"% step".padStart(7)} ${"calls".padStart(6)}`];
  for (const r of rows.slice(0, 16)) {
    lines.push(`  ${r.kernel.padEnd(22)} ${r.ms.toFixed(1).padStart(9)} ${((100 * r.ms) / stepMs).toFixed(1).padStart(7)} ${String(r.calls).padStart(6)}`);
  }
  lines.push(`  ${"(all kernels)".padEnd(22)} ${total.toFixed(1).padStart(9)} ${((100 * total) / stepMs).toFixed(1).padStart(7)}`);
  lines.push(`  ${"(outside kernels: JS, tape, GC)".padEnd(22)} ${(stepMs - total).toFixed(1).padStart(9)} ${((100 * (stepMs - total)) / stepMs).toFixed(1).padStart(7)}`);
  return lines.join("\n");
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = args.jsonOnly ? () => {} : (s: string) => console.log(s);
  const cfg = referenceConfig();
  const tokens = args.batch * cfg.maxLen;
  const load0 = os.loadavg()[0];
  log(`bench:train — reference joint step (configuration 2, self-conditioning on), step: ${STEP_SOURCE}`);
  log(`  batch ${args.batch} × length ${cfg.maxLen}, vocab ${cfg.vocabSize}, latent ${cfg.latentDim}, every network d256/h4/l4/ffn768`);
  log(`  machine: ${os.cpus().length} cores, load average ${load0.toFixed(2)} (others' processes share the cores: numbers are noisy)`);

  // 1. The project's path: wasm + OpenBLAS matmuls + zero-copy identity + lean backprop.
  const info = await initBackend("wasm", { log, nativeKernels: !args.noBlas, ...(args.threads !== undefined ? { blasThreads: args.threads } : {}) });
  let step = createReferenceStep(cfg, args.batch);
  const paramCount = step.paramCount;
  log(`  parameters: ${(paramCount / 1e6).toFixed(2)} M`);
  const project = measure(step, args.warmup, args.steps, tokens, log, "project");
  // One more step under per-kernel timers for the breakdown (kept out of the timing above).
  const timer = new KernelTimer();
  timer.install("wasm");
  blasMatMulStats.byShape = new Map();
  const t0 = performance.now();
  step.run();
  const profiledMs = performance.now() - t0;
  timer.uninstall();
  const shapes = [...blasMatMulStats.byShape.entries()].sort((a, b) => b[1].ms - a[1].ms);
  blasMatMulStats.byShape = null;
  const breakdown = timer.report();
  step.dispose();
  const heapBytes = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;

  // 2. Stock wasm compute kernels (see the header for what is kept and why).
  let stock: Measured | null = null;
  let stockError: string | undefined;
  if (args.stockSteps > 0) {
    const kept = installWasmKernels({ blas: null, fused: false, xnnpackTransposed: false, zeroCopy: !args.pureStock });
    if (args.pureStock) uninstallLeanBackprop();
    log(`[backend] wasm · stock compute kernels; kept: ${[...kept, ...(args.pureStock ? [] : ["backprop:lean"])].join(", ")}`);
    try {
      step = createReferenceStep(cfg, args.batch);
      stock = measure(step, args.stockWarmup, args.stockSteps, tokens, log, "stock");
      step.dispose();
    } catch (err) {
      stockError = err instanceof Error ? err.message : String(err);
      log(`  stock wasm failed: ${stockError}`);
    }
    installLeanBackprop();
  }
  const load1 = os.loadavg()[0];

  const projectMedian = median(project.stepMs);
  // FLOPs are counted by the BLAS kernel; without it (--no-blas) there is no count.
  const effectiveGflops = project.flopsPerStep > 0 ? project.flopsPerStep / (projectMedian / 1000) / 1e9 : null;
  const ratio = stock !== null ? project.tokensPerSec / stock.tokensPerSec : null;

  log("");
  log(`  ${"path".padEnd(34)} ${"tokens/s".padStart(10)} ${"s/step".padStart(8)}  steps`);
  if (stock !== null) log(`  ${(args.pureStock ? "stock wasm (pure)" : "stock wasm kernels (+memory patches)").padEnd(34)} ${stock.tokensPerSec.toFixed(0).padStart(10)} ${(median(stock.stepMs) / 1000).toFixed(2).padStart(8)}  ${stock.stepMs.length}`);
  log(`  ${("project (" + info.kernels.length + " kernels/patches)").padEnd(34)} ${project.tokensPerSec.toFixed(0).padStart(10)} ${(projectMedian / 1000).toFixed(2).padStart(8)}  ${project.stepMs.length}`);
  if (ratio !== null) log(`  ratio ${ratio.toFixed(1)}× (target ≥ 25)`);
  const lossGap =
    stock !== null
      ? Math.max(
          Math.abs(stock.firstLosses.lossDif - project.firstLosses.lossDif) / Math.abs(stock.firstLosses.lossDif),
          Math.abs(stock.firstLosses.lossAe - project.firstLosses.lossAe) / Math.abs(stock.firstLosses.lossAe),
        )
      : null;
  if (lossGap !== null) {
    log(`  same first step on both paths: L_dif ${project.firstLosses.lossDif.toFixed(6)} vs ${stock!.firstLosses.lossDif.toFixed(6)}, L_ae ${project.firstLosses.lossAe.toFixed(6)} vs ${stock!.firstLosses.lossAe.toFixed(6)} (max relative gap ${lossGap.toExponential(1)})`);
  }
  log(`  wasm heap after the project steps: ${(heapBytes / 2 ** 30).toFixed(2)} GiB (of 4 GiB addressable)`);
  if (effectiveGflops !== null) log(`  matmul work ${(project.flopsPerStep / 1e9).toFixed(1)} GFLOP/step → ${effectiveGflops.toFixed(1)} GFLOP/s effective over the whole step`);
  log(`  project step times (s): ${project.stepMs.map((m) => (m / 1000).toFixed(2)).join(", ")}; CPU s/step ${project.cpuMs.map((m) => (m / 1000).toFixed(2)).join(", ")}`);
  if (stock !== null) log(`  stock step times (s): ${stock.stepMs.map((m) => (m / 1000).toFixed(2)).join(", ")}; CPU s/step ${stock.cpuMs.map((m) => (m / 1000).toFixed(2)).join(", ")}`);
  log(`  load average ${load0.toFixed(2)} at start → ${load1.toFixed(2)} at end (2 cores; above ~2 means these numbers are slowed by other processes)`);
  log("");
  log(`where the project step's time goes (one extra step under kernel timers, ${(profiledMs / 1000).toFixed(2)} s):`);
  log(breakdownTable(breakdown, profiledMs));
  log("");
  log("BatchMatMul by product shape (rows×cols×inner; batch×(…) for batched):");
  log(`  ${"shape".padEnd(30)} ${"ms/step".padStart(9)} ${"calls".padStart(6)} ${"GFLOP/s".padStart(8)}`);
  for (const [key, r] of shapes.slice(0, 12)) {
    log(`  ${key.padEnd(30)} ${r.ms.toFixed(1).padStart(9)} ${String(r.calls).padStart(6)} ${(r.flops / r.ms / 1e6).toFixed(1).padStart(8)}`);
  }
  log("");

  const json = {
    config: {
      step: STEP_SOURCE,
      configuration: 2,
      selfConditioning: true,
      batch: args.batch,
      length: cfg.maxLen,
      vocab: cfg.vocabSize,
      latentDim: cfg.latentDim,
      network: { dModel: 256, heads: 4, layers: 4, ffn: 768 },
      parameters: paramCount,
      kernels: info.kernels,
      wasmHeapMiB: Math.round(heapBytes / 2 ** 20),
      blasThreads: info.blasThreads ?? null,
      projectSteps: project.stepMs.length,
      stockSteps: stock?.stepMs.length ?? 0,
      stock: args.pureStock ? "pure tfjs-backend-wasm 4.22 + UnsortedSegmentSum" : "stock compute kernels + UnsortedSegmentSum + memory patches (zero-copy Identity/Cast, lean backprop)",
      loadAverage: [Number(load0.toFixed(2)), Number(load1.toFixed(2))],
      projectStepSec: project.stepMs.map((m) => Number((m / 1000).toFixed(3))),
      projectCpuSecPerStep: project.cpuMs.map((m) => Number((m / 1000).toFixed(3))),
      stockStepSec: stock?.stepMs.map((m) => Number((m / 1000).toFixed(3))) ?? [],
    },
    stockWasmTokensPerSec: stock !== null ? Number(stock.tokensPerSec.toFixed(1)) : null,
    projectTokensPerSec: Number(project.tokensPerSec.toFixed(1)),
    ratio: ratio !== null ? Number(ratio.toFixed(2)) : null,
    effectiveGflops: effectiveGflops !== null ? Number(effectiveGflops.toFixed(1)) : null,
    firstStepLossRelativeGap: lossGap !== null ? Number(lossGap.toExponential(2)) : null,
    ...(stockError !== undefined ? { stockError } : {}),
    breakdownMsPerStep: Object.fromEntries(breakdown.slice(0, 12).map((r) => [r.kernel, Number(r.ms.toFixed(1))])),
  };
  console.log(JSON.stringify(json));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
