// The trainer end to end on a corpus made here: a tiny run lowers both losses; a run killed with
// SIGKILL and resumed reproduces the uninterrupted run's loss sequence exactly; SIGINT checkpoints
// and exits with 130.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SeededRandom } from "@ldtext/core";
import { Trainer, type LogRecord, type TrainRecord, type ValRecord } from "./trainer.ts";
import { loadCheckpoint, type LoadedCheckpoint } from "@ldtext/core";
import { buildNetworks } from "../model/inference.ts";
import * as tf from "@tensorflow/tfjs";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const cli = join(root, "training/src/cli/train.ts");
let dir = "";
let corpus = "";

before(() => {
  dir = mkdtempSync(join(tmpdir(), "ldtext-train-"));
  corpus = join(dir, "stories.jsonl");
  const rng = new SeededRandom(42);
  const who = ["Tom", "Anna", "Bob", "Lisa", "Max", "Sara"];
  const did = ["went to the store", "ate an apple", "played football", "read a book", "called a friend", "baked a cake"];
  const felt = ["He was happy.", "She was tired.", "It was fun.", "They laughed.", "Everyone smiled."];
  const pick = (a: string[]) => a[rng.nextInt(a.length)];
  const lines = Array.from({ length: 240 }, () => JSON.stringify({ text: `${pick(who)} ${pick(did)}. ${pick(felt)}` }));
  writeFileSync(corpus, `${lines.join("\n")}\n`);
});

function readLog(out: string): LogRecord[] {
  return readFileSync(join(out, "log.jsonl"), "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as LogRecord);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Bit-identical (Object.is per element: -0 and NaN count). */
const same = (x: Float32Array, y: Float32Array) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));

/**
 * A staged run against the checkpoint it started from: every weight `isFrozen` picks must be
 * bit-identical, raw and EMA (asserted, naming `stage`); of those `isTrained` picks, how many moved.
 */
function frozenAndMoved(init: LoadedCheckpoint, run: LoadedCheckpoint, stage: string, isFrozen: (name: string) => boolean, isTrained: (name: string) => boolean): { frozen: number; moved: number } {
  let frozen = 0;
  let moved = 0;
  for (const [name, w] of run.weights) {
    const before = init.weights.get(name)!.data;
    if (isFrozen(name)) {
      assert.ok(same(w.data, before), `${name} changed under ${stage}`);
      assert.ok(same(run.ema!.get(name)!.data, before), `the EMA of frozen ${name} drifted under ${stage}`);
      frozen++;
    } else if (isTrained(name) && !same(w.data, before)) moved++;
  }
  return { frozen, moved };
}

test("a tiny run on a small corpus lowers both losses, logs, plots and checkpoints", async () => {
  const out = join(dir, "run");
  const trainer = Trainer.create({ data: corpus, out, preset: "tiny", config: 1, norm: "sphere", steps: 120, valEvery: 60, valExamples: 12, ckptEvery: 1000, backend: "wasm", progress: false, seed: 1 });
  const lines: string[] = [];
  trainer.print = (l) => lines.push(l);
  const summary = await trainer.run();
  assert.equal(summary.stopped, "done");
  const train = readLog(out).filter((r): r is TrainRecord => r.kind === "train");
  assert.equal(train.length, 120);
  // Validation runs at fixed noise, so step 0 against the last step is a clean comparison.
  const val = readLog(out).filter((r): r is ValRecord => r.kind === "val");
  assert.deepEqual(val.map((r) => r.step), [0, 60, 120]);
  const [v0, v1] = [val[0], val[val.length - 1]];
  trainer.print(`val first → last: dif ${v0.dif.toFixed(3)} → ${v1.dif.toFixed(3)}, ce ${v0.ce.toFixed(3)} → ${v1.ce.toFixed(3)}, recon ce ${v0.reconCe.toFixed(3)} → ${v1.reconCe.toFixed(3)}`);
  process.stderr.write(`${lines[lines.length - 1]}\n`);
  assert.ok(v1.dif < 0.9 * v0.dif, `L_dif did not fall: ${v0.dif} → ${v1.dif}`);
  assert.ok(v1.ce < 0.6 * v0.ce, `CE did not fall: ${v0.ce} → ${v1.ce}`);
  assert.ok(v1.reconCe < 0.6 * v0.reconCe, `clean-latent CE did not fall: ${v0.reconCe} → ${v1.reconCe}`);
  // The training records agree.
  assert.ok(mean(train.slice(-15).map((r) => r.ce!)) < mean(train.slice(0, 15).map((r) => r.ce!)));
  assert.ok(existsSync(join(out, "loss.svg")), "no loss plot");
  // Fixed-SNR probes: every validation has them, at the schedule's t for each SNR, and training
  // a denoiser that learned anything errs less at SNR 2 than at 0.05.
  for (const r of val) {
    assert.deepEqual(r.snr?.map((p) => p.snr), [2, 0.5, 0.12, 0.05]);
    for (const p of r.snr!) assert.ok(p.acc >= 0 && p.acc <= 1 && p.accSc >= 0 && p.accSc <= 1 && p.dif > 0);
    assert.ok(r.snr![0].t < r.snr![3].t, "t must grow as the SNR falls");
    assert.ok(r.trainSec !== undefined && r.trainSec >= 0);
  }
  // Compute so far: seconds and FLOPs grow with every step (FLOPs by the same amount each step).
  assert.ok(train[119].trainSec! > train[0].trainSec! && train[0].trainFlops! > 0);
  assert.ok(Math.abs(train[119].trainFlops! - 120 * train[0].trainFlops!) < 1e-6 * train[119].trainFlops!);
  assert.ok(v1.snr![0].dif < 0.8 * v1.snr![3].dif, `L_dif at SNR 2 (${v1.snr![0].dif}) not below SNR 0.05 (${v1.snr![3].dif})`);
  assert.ok(existsSync(join(out, "snr.svg")), "no fixed-SNR plot");
  // The checkpoint loads and its networks run (the exporter's entry points).
  const ck = await loadCheckpoint(out);
  assert.equal(ck.step, 120);
  assert.ok(ck.ema && ck.adamM && ck.adamV);
  const nets = buildNetworks(ck.modelConfig, ck.weights, ck.norm);
  const logits = tf.tidy(() => {
    const x0 = nets.encode(tf.zeros([2, ck.modelConfig.maxLen], "int32") as tf.Tensor2D);
    const xh = nets.denoise(x0, tf.zerosLike(x0), tf.tensor1d([0.5, 0.9]));
    return nets.decode(xh).shape;
  });
  assert.deepEqual(logits, [2, ck.modelConfig.maxLen, ck.modelConfig.vocabSize]);
  nets.dispose();
});

test("--freeze-ae trains Dif only: Enc/Dec stay bit-identical to the init checkpoint, Dif learns", async () => {
  const init = join(dir, "freeze-init");
  // The first test's recipe (sphere norm: its encodings cannot collapse), stopped early so Dif has more to learn.
  const base = { data: corpus, preset: "tiny", config: 1, norm: "sphere", valExamples: 12, ckptEvery: 1000, backend: "wasm", progress: false, samples: 0 } as const;
  await Object.assign(Trainer.create({ ...base, out: init, steps: 40, valEvery: 40, seed: 2 }), { print: () => {} }).run();
  const out = join(dir, "freeze-dif");
  const printed: string[] = [];
  const trainer = Object.assign(Trainer.create({ ...base, out, initFrom: join(init, "checkpoint"), freezeAe: true, steps: 60, valEvery: 60, seed: 4 }), { print: (l: string) => printed.push(l) });
  await trainer.run();
  assert.ok(printed.some((l) => l.startsWith("[cache]")), "--freeze-ae did not cache the frozen encodings");
  // The cached encodings are what the encoder computes: a run that encodes every batch follows the
  // same losses (up to float rounding of a different GEMM batch size).
  const live = join(dir, "freeze-dif-live");
  await Object.assign(Trainer.create({ ...base, out: live, initFrom: join(init, "checkpoint"), freezeAe: true, cacheEncodings: false, steps: 12, totalSteps: 60, warmupSteps: 3, valEvery: 12, seed: 4 }), { print: () => {} }).run();
  const [cachedDif, liveDif] = [out, live].map((o) => readLog(o).filter((r): r is TrainRecord => r.kind === "train").slice(0, 12).map((r) => r.dif!));
  cachedDif.forEach((x, i) => assert.ok(Math.abs(x - liveDif[i]) <= 1e-4 * Math.max(1, x), `step ${i + 1}: L_dif ${x} (cached) vs ${liveDif[i]} (encoded live)`));
  const [a, b] = [await loadCheckpoint(init), await loadCheckpoint(out)];
  const { frozen, moved } = frozenAndMoved(a, b, "--freeze-ae", (n) => n.startsWith("enc.") || n.startsWith("dec."), (n) => n.startsWith("dif."));
  assert.ok(frozen > 10, `only ${frozen} Enc/Dec weights compared`);
  assert.ok(moved > 10, `only ${moved} Dif weights changed`);
  const train = readLog(out).filter((r): r is TrainRecord => r.kind === "train");
  assert.equal(train.length, 60);
  assert.ok(train.every((r) => r.ae === null && r.gradNormAe === 0), "a frozen run reported an autoencoder loss or gradient");
  const val = readLog(out).filter((r): r is ValRecord => r.kind === "val");
  assert.ok(val[1].dif < val[0].dif, `L_dif did not fall: ${val[0].dif} → ${val[1].dif}`);
  assert.equal(val[1].reconCe, val[0].reconCe, "the frozen autoencoder's validation reconstruction moved");
  // Without a trained autoencoder to start from the option is refused.
  assert.throws(() => Trainer.create({ ...base, out: join(dir, "freeze-bad"), freezeAe: true }), /--init-from/);
});

test("--decoder-only trains Dec only: Enc/Dif and the normalization statistics stay bit-identical, L_dif does not move, the decoder's CE on Dif's predictions falls", async () => {
  // DataNorm: its running statistics would drift under training; --decoder-only must hold them.
  const base = { data: corpus, preset: "tiny", config: 1, norm: "data", valExamples: 12, ckptEvery: 1000, backend: "wasm", progress: false, samples: 0 } as const;
  const init = join(dir, "dec-init");
  await Object.assign(Trainer.create({ ...base, out: init, steps: 30, valEvery: 30, seed: 2 }), { print: () => {} }).run();
  const out = join(dir, "dec-only");
  const printed: string[] = [];
  await Object.assign(Trainer.create({ ...base, out, initFrom: join(init, "checkpoint"), decoderOnly: true, adaptiveT: false, lr: 3e-3, steps: 40, valEvery: 40, seed: 4 }), { print: (l: string) => printed.push(l) }).run();
  assert.ok(printed.some((l) => /Dec-only steps/.test(l)), printed.join("\n"));
  assert.ok(printed.some((l) => /training texts encoded once/.test(l)), "the frozen encoder's outputs were not cached");
  const [a, b] = [await loadCheckpoint(init), await loadCheckpoint(out)];
  const { frozen, moved } = frozenAndMoved(a, b, "--decoder-only", (n) => !n.startsWith("dec."), (n) => n.startsWith("dec."));
  assert.ok(frozen > 10 && moved > 10, `${frozen} frozen, ${moved} Dec weights moved`);
  assert.deepEqual([b.norm.mean, b.norm.sq], [a.norm.mean, a.norm.sq], "the normalization statistics moved");
  const train = readLog(out).filter((r): r is TrainRecord => r.kind === "train");
  assert.ok(train.every((r) => Number.isFinite(r.ae) && r.ceNoisy !== undefined && r.gradNormDif === 0), "a decoder-only step trains Dec on x̂0 and noised x0, and Dif not at all");
  const val = readLog(out).filter((r): r is ValRecord => r.kind === "val");
  assert.equal(val[1].dif, val[0].dif, "the frozen denoiser's validation L_dif moved");
  assert.ok(val[1].ce < 0.9 * val[0].ce, `the decoder's CE on Dif's predictions did not fall: ${val[0].ce} → ${val[1].ce}`);
  assert.throws(() => Trainer.create({ ...base, out: join(dir, "dec-bad"), decoderOnly: true }), /--init-from/);
  assert.throws(() => Trainer.create({ ...base, out: join(dir, "dec-bad2"), initFrom: init, decoderOnly: true, freezeAe: true }), /one of them/);
});

test("--init-weights ema: a --freeze-ae stage starts from, and keeps, the init checkpoint's EMA autoencoder; the choice is recorded", async () => {
  const base = { data: corpus, preset: "tiny", config: 1, norm: "sphere", valExamples: 8, ckptEvery: 1000, backend: "wasm", progress: false, samples: 0 } as const;
  const init = join(dir, "ema-init");
  await Object.assign(Trainer.create({ ...base, out: init, steps: 6, valEvery: 6, seed: 5 }), { print: () => {} }).run();
  const out = join(dir, "ema-stage");
  const printed: string[] = [];
  await Object.assign(Trainer.create({ ...base, out, initFrom: init, initWeights: "ema", freezeAe: true, adaptiveT: false, steps: 3, valEvery: 3, seed: 6 }), { print: (l: string) => printed.push(l) }).run();
  assert.ok(printed.some((l) => /\[init-from\] .*EMA weights loaded/.test(l)), printed.join("\n"));
  const [a, b] = [await loadCheckpoint(init), await loadCheckpoint(out)];
  let compared = 0;
  for (const [name, w] of b.weights) {
    if (!name.startsWith("enc.") && !name.startsWith("dec.")) continue;
    assert.ok(same(w.data, a.ema!.get(name)!.data), `${name} is not the init checkpoint's EMA weight`);
    compared++;
  }
  assert.ok(compared > 10, `only ${compared} Enc/Dec weights compared`);
  assert.ok([...b.weights].some(([name, w]) => name.startsWith("enc.") && !same(w.data, a.weights.get(name)!.data)), "EMA and raw weights coincide: the test shows nothing");
  assert.equal(b.trainConfig.initWeights, "ema");
  assert.equal(b.trainConfig.initFrom, init);
});

test("--cond-from encoder with --freeze-cond: CondEnc is the frozen encoder's trunk, its document features are cached, Dif and the null condition learn", async () => {
  const pairs = join(dir, "pairs.jsonl");
  const rng = new SeededRandom(7);
  const names = ["Tom", "Anna", "Bob", "Lisa", "Max", "Sara"];
  const places = ["Paris", "the park", "the lake", "school", "the market"];
  const lines = Array.from({ length: 120 }, (_, i) => {
    const who = names[rng.nextInt(names.length)];
    const where = places[rng.nextInt(places.length)];
    return JSON.stringify({ id: String(i), summary: `${who} went to ${where}.`, document: `Yesterday ${who} left home early. ${who} walked a long way to ${where} and stayed there all day.` });
  });
  writeFileSync(pairs, `${lines.join("\n")}\n`);
  const base = { task: "summarize", data: pairs, preset: "tiny", config: 1, norm: "sphere", valExamples: 8, ckptEvery: 1000, backend: "wasm", progress: false, samples: 0 } as const;
  const init = join(dir, "cond-init");
  await Object.assign(Trainer.create({ ...base, out: init, steps: 10, valEvery: 10, seed: 2 }), { print: () => {} }).run();
  const out = join(dir, "cond-frozen");
  const printed: string[] = [];
  await Object.assign(Trainer.create({ ...base, out, initFrom: join(init, "checkpoint"), freezeAe: true, condFrom: "encoder", freezeCond: true, steps: 20, valEvery: 20, seed: 3 }), { print: (l: string) => printed.push(l) }).run();
  assert.ok(printed.some((l) => l.startsWith("[cond-from]")), printed.join("\n"));
  assert.ok(printed.some((l) => /documents encoded once/.test(l)), "the frozen condition encoder's features were not cached");
  const ckpt = await loadCheckpoint(out);
  assert.deepEqual(ckpt.modelConfig.condEnc, ckpt.modelConfig.enc);
  let condCompared = 0;
  for (const [name, w] of ckpt.weights) {
    if (!name.startsWith("cond.") || name === "cond.null") continue;
    assert.ok(same(w.data, ckpt.weights.get(`enc.${name.slice(5)}`)!.data), `${name} is not the encoder's ${name.slice(5)} after training`);
    assert.ok(same(ckpt.ema!.get(name)!.data, w.data), `the EMA of frozen ${name} drifted`);
    condCompared++;
  }
  assert.ok(condCompared > 5);
  const before = await loadCheckpoint(init);
  assert.ok(!same(ckpt.weights.get("cond.null")!.data, before.weights.get("cond.null")!.data), "the null condition did not learn");
  assert.ok(!same(ckpt.weights.get("dif.out.w")!.data, before.weights.get("dif.out.w")!.data), "Dif did not learn");
  assert.throws(() => Trainer.create({ ...base, task: "generate", data: corpus, out: join(dir, "cond-bad"), freezeCond: true }), /summarization option/);
});

function runCli(args: string[], killWhen?: { step: number; signal: NodeJS.Signals; out: string }): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", () => {});
    let timer: NodeJS.Timeout | undefined;
    if (killWhen) {
      timer = setInterval(() => {
        const log = join(killWhen.out, "log.jsonl");
        if (!existsSync(log)) return;
        const steps = readFileSync(log, "utf8").split("\n").filter((l) => l.includes('"kind":"train"')).length;
        if (steps >= killWhen.step) {
          clearInterval(timer);
          child.kill(killWhen.signal);
        }
      }, 20);
    }
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (timer) clearInterval(timer);
      resolve({ code, signal, stderr });
    });
  });
}

const common = (out: string) => ["--data", corpus, "--out", out, "--preset", "tiny", "--config", "3", "--steps", "40", "--ckpt-every", "10", "--val-every", "20", "--val-examples", "8", "--backend", "wasm", "--seed", "3", "--no-progress"];
const lossKeys = ["dif", "ce", "align", "ceClean", "ceNoisy", "ae", "coupling", "selfCond", "lr"] as const;
const lossesOf = (recs: LogRecord[]) => recs.filter((r): r is TrainRecord => r.kind === "train").map((r) => lossKeys.map((k) => r[k] ?? null));

test("a run killed with SIGKILL and resumed reproduces the uninterrupted run's losses exactly (configuration 3)", async () => {
  const a = join(dir, "uninterrupted");
  const ra = await runCli(common(a));
  assert.equal(ra.code, 0, ra.stderr);
  const b = join(dir, "killed");
  const rb = await runCli(common(b), { step: 16, signal: "SIGKILL", out: b });
  assert.equal(rb.signal, "SIGKILL", `the run finished before the kill: ${rb.stderr}`);
  const ck = await loadCheckpoint(b);
  assert.ok(ck.step >= 10 && ck.step < 40, `checkpoint at step ${ck.step}`);
  // Resume with only --out: every other option comes from the checkpoint.
  const rc = await runCli(["--out", b, "--resume", "--no-progress"]);
  assert.equal(rc.code, 0, rc.stderr);
  assert.match(rc.stderr, /\[resume\]/);
  const la = lossesOf(readLog(a));
  const lb = lossesOf(readLog(b));
  assert.equal(la.length, 40);
  assert.deepEqual(lb, la);
  // Validation records match too, and the final weights are bit-identical.
  // (trainSec is wall-clock time, the one field a resumed run cannot reproduce.)
  const withoutClock = (recs: LogRecord[]) => recs.filter((r) => r.kind === "val").map((r) => ({ ...r, trainSec: undefined }));
  const va = withoutClock(readLog(a));
  const vb = withoutClock(readLog(b));
  assert.deepEqual(vb, va);
  // Samples come from the EMA weights: they match only if the EMA resumed exactly.
  const sa = readLog(a).filter((r) => r.kind === "samples");
  assert.ok(sa.length > 0);
  assert.deepEqual(readLog(b).filter((r) => r.kind === "samples"), sa);
  const [wa, wb] = [await loadCheckpoint(a), await loadCheckpoint(b)];
  for (const [name, w] of wa.weights) assert.deepEqual(wb.weights.get(name)!.data, w.data, name);
  assert.deepEqual(wb.norm, wa.norm);
});

test("SIGINT writes a checkpoint of the last finished step and exits with 130", async () => {
  const out = join(dir, "interrupted");
  const r = await runCli(common(out), { step: 5, signal: "SIGINT", out });
  assert.equal(r.code, 130, r.stderr);
  const steps = readLog(out).filter((x) => x.kind === "train").length;
  const ck = await loadCheckpoint(out);
  assert.equal(ck.step, steps);
  assert.match(r.stderr, /checkpoint written/);
});
