// Artifacts for deploy's tests: real graphs (export's writers) of the tiny preset, either random
// (writes varied placeholder tokens) or degenerate — a decoder whose head always picks one token,
// so every seed and document gives the same text (a BPE token) or a blank one (PAD): the outputs a
// redeploy must never ship.
import { FIRST_BPE_ID, modelConfigFromPreset, PRESETS, type Task } from "@ldtext/core";
import { placeholderVocabulary, randomWeights, writeArtifact, writeRandomArtifact, type WrittenArtifact } from "@ldtext/export";

export interface TestArtifactOptions {
  outDir: string;
  task: Task;
  name: string;
  version: string;
  seed?: number;
  /**
   * What the decoder writes: varied placeholder words (default: random weights, specials and raw bytes
   * suppressed), "random" (plain random weights: bytes too), "blank" (PAD everywhere) or "same" (one BPE token everywhere).
   */
  output?: "random" | "blank" | "same";
}

export function writeTestArtifact(o: TestArtifactOptions): Promise<WrittenArtifact> {
  const vocabSize = FIRST_BPE_ID + PRESETS.tiny.topK;
  const config = modelConfigFromPreset("tiny", o.task, vocabSize);
  const vocabulary = placeholderVocabulary(vocabSize);
  const seed = o.seed ?? 1;
  if (o.output === "random") return writeRandomArtifact({ config, vocabulary, outDir: o.outDir, seed, name: o.name, version: o.version });
  const weights = randomWeights(config, seed);
  const w = weights.get("dec.lm_head.w")!;
  const b = weights.get("dec.lm_head.b")!;
  if (o.output === undefined) {
    // Random, but never a special or a raw byte (those decode to nothing or to U+FFFD): placeholder words.
    for (let i = 0; i < FIRST_BPE_ID; i++) b.data[i] = -30;
  } else {
    w.data.fill(0);
    b.data.fill(-20);
    b.data[o.output === "blank" ? 0 : FIRST_BPE_ID + 3] = 20;
  }
  const mean = Array.from({ length: config.latentDim }, () => 0);
  return writeArtifact({
    config,
    vocabulary,
    weights,
    norm: config.norm === "data" || config.norm === "batch" ? { kind: config.norm, mean, sq: mean.map(() => 1) } : { kind: config.norm },
    outDir: o.outDir,
    name: o.name,
    version: o.version,
    training: { command: `writeTestArtifact (${o.output ?? "words"} output)`, seconds: 0, steps: 0, finalLosses: {} },
  });
}
