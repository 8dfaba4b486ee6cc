// The ArDec stage end to end on a corpus made here: on a tiny trained model it learns to decode
// (teacher-forced accuracy on clean latents rises from a fresh start), leaves every other network
// exactly as the source had it, and a run stopped and resumed ends with the same weights as an
// uninterrupted one.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SeededRandom, loadCheckpoint } from "@ldtext/core";
import { Trainer } from "../train/trainer.ts";
import { type ArDecValRecord, arDecInitFromDec, trainArDecoder } from "./trainer.ts";
import { initWeights } from "../model/model.ts";
import { withArDec } from "./trainer.ts";

let dir = "";
let corpus = "";
let base = "";
const quiet = () => {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "ldtext-ardec-"));
  corpus = join(dir, "stories.jsonl");
  const rng = new SeededRandom(7);
  const who = ["Tom", "Anna", "Bob", "Lisa", "Max", "Sara"];
  const did = ["went to the store", "ate an apple", "played football", "read a book", "called a friend", "baked a cake"];
  const felt = ["He was happy.", "She was tired.", "It was fun.", "They laughed.", "Everyone smiled."];
  const pick = (a: string[]) => a[rng.nextInt(a.length)];
  writeFileSync(corpus, `${Array.from({ length: 200 }, () => JSON.stringify({ text: `${pick(who)} ${pick(did)}. ${pick(felt)}` })).join("\n")}\n`);
  base = join(dir, "base");
  const trainer = Trainer.create({ data: corpus, out: base, preset: "tiny", config: 1, norm: "data", steps: 60, valEvery: 1000, valExamples: 8, ckptEvery: 1000, backend: "wasm", progress: false, samples: 0, seed: 1 });
  trainer.print = quiet;
  await trainer.run();
});

const common = { data: corpus, valExamples: 16, progress: false, batch: 16 } as const;

test("ArDec from scratch learns to decode a frozen model's latents; the other networks stay the source's", async () => {
  const out = join(dir, "fresh");
  const s = await trainArDecoder({ ...common, initFrom: join(base, "checkpoint"), out, steps: 80, valEvery: 80, ckptEvery: 1000, init: "fresh", lr: 3e-3, warmupSteps: 10 }, () => false, quiet);
  const val = readFileSync(join(out, "log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { kind: string }).filter((r): r is ArDecValRecord => r.kind === "val");
  assert.deepEqual(val.map((v) => v.step), [0, 80]);
  const clean = (v: ArDecValRecord) => v.probes.find((p) => p.input === "clean x0")!;
  assert.ok(clean(val[1]).acc > clean(val[0]).acc + 0.3, `clean-latent accuracy ${clean(val[0]).acc} → ${clean(val[1]).acc}`);
  assert.ok(clean(val[1]).ce < 0.5 * clean(val[0]).ce, `CE ${clean(val[0]).ce} → ${clean(val[1]).ce}`);
  assert.equal(s.stopped, "done");

  const src = await loadCheckpoint(join(base, "checkpoint"));
  const ck = await loadCheckpoint(join(out, "checkpoint"));
  assert.deepEqual(ck.modelConfig.arDec, src.modelConfig.dec, "ArDec takes Dec's shape by default");
  for (const [name, w] of ck.weights) {
    if (name.startsWith("ard.")) continue;
    // The source's EMA weights (what its export ships) are what ArDec learned to decode.
    const expected = src.ema?.get(name) ?? src.weights.get(name)!;
    assert.deepEqual(w.data, expected.data, `${name} changed`);
  }
  assert.ok([...ck.weights.keys()].some((n) => n.startsWith("ard.blocks.0.cross.")));
});

test("a stopped and resumed ArDec run ends where an uninterrupted one does", async () => {
  const opts = { ...common, initFrom: join(base, "checkpoint"), steps: 12, valEvery: 1000, ckptEvery: 1000 };
  await trainArDecoder({ ...opts, out: join(dir, "whole") }, () => false, quiet);
  let n = 0;
  const first = await trainArDecoder({ ...opts, out: join(dir, "split") }, () => ++n === 5, quiet);
  assert.equal(first.stopped, "signal");
  await trainArDecoder({ ...opts, out: join(dir, "split"), resume: true }, () => false, quiet);
  const a = await loadCheckpoint(join(dir, "whole", "checkpoint"));
  const b = await loadCheckpoint(join(dir, "split", "checkpoint"));
  assert.equal(b.step, 12);
  for (const [name, w] of a.weights) if (name.startsWith("ard.")) assert.deepEqual(b.weights.get(name)!.data, w.data, `${name} differs after resume`);
});

test("--init-from a source that already has ArDec continues it instead of starting again", async () => {
  const first = join(dir, "first");
  await trainArDecoder({ ...common, initFrom: join(base, "checkpoint"), out: first, steps: 60, valEvery: 1000, ckptEvery: 1000, init: "fresh", lr: 3e-3, warmupSteps: 10 }, () => false, quiet);
  const lines: string[] = [];
  const again = join(dir, "again");
  await trainArDecoder({ ...common, initFrom: join(first, "checkpoint"), out: again, steps: 1, valEvery: 1000, ckptEvery: 1000, init: "fresh", lr: 1e-9, warmupSteps: 0 }, () => false, (l) => void lines.push(l));
  assert.ok(lines.some((l) => l.includes("continued from the source's ArDec")), lines.join("\n"));
  const val = (out: string) => readFileSync(join(out, "log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { kind: string }).filter((r): r is ArDecValRecord => r.kind === "val");
  const clean = (v: ArDecValRecord) => v.probes.find((p) => p.input === "clean x0")!.acc;
  const [firstStart] = val(first);
  const [againStart] = val(again);
  // --init fresh is ignored for a source with ArDec: the second run starts where the first ended.
  assert.ok(clean(againStart) > clean(firstStart) + 0.3, `step-0 accuracy ${clean(firstStart)} (fresh) vs ${clean(againStart)} (continued)`);
});

test("ArDec's init from Dec copies the trunk, latent projection, LM head and Enc's embedding; cross-attention stays fresh", () => {
  const cfg = withArDec({ task: "generate", vocabSize: 300, maxLen: 8, latentDim: 4, enc: { dModel: 8, heads: 2, layers: 1, ffn: 16 }, dec: { dModel: 8, heads: 2, layers: 1, ffn: 16 }, dif: { dModel: 8, heads: 2, layers: 1, ffn: 16 }, norm: "data", normAlpha: 0.01, schedule: { name: "tan-d", d: 9 } });
  const source = initWeights(cfg, 1);
  const fresh = initWeights(cfg, 2);
  const { weights, copied } = arDecInitFromDec(fresh, source);
  assert.equal(weights.get("ard.blocks.0.attn.wq")!.data, source.get("dec.blocks.0.attn.wq")!.data);
  assert.equal(weights.get("ard.lm_head.w")!.data, source.get("dec.lm_head.w")!.data);
  assert.equal(weights.get("ard.tok_emb")!.data, source.get("enc.tok_emb")!.data);
  assert.equal(weights.get("ard.blocks.0.cross.wq")!.data, fresh.get("ard.blocks.0.cross.wq")!.data);
  const ardNames = [...fresh.keys()].filter((n) => n.startsWith("ard."));
  assert.equal(copied, ardNames.filter((n) => !n.includes(".cross")).length);
});
