// One evaluation of an artifact (METHOD.md §7): sample through ONNX Runtime exactly as the server
// does (@ldtext/export sampleArtifact), then score. Unconditional models: PPL, entropy, MAUVE vs
// the split's texts, Div, Mem vs the training split. Summarization models: ROUGE (plain and
// stemmed), BLEU, METEOR, BERTScore vs the split's reference summaries. Writes `result.json`
// (exact config, artifact id/version, seed, counts, reference-LM id), `result.md` and
// `samples.jsonl` into the output folder, each atomically.
import * as tf from "@tensorflow/tfjs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { CompactTokenizer, collect, readArtifact, readTexts, readXsum, servedCandidates, servedClamp, servedGuidance, writeFileAtomic, type DecoderChoice, type SamplerKind, type Vocabulary } from "@ldtext/core";
import { probeArtifactSnr, sampleArtifact, type DenoiserPrecision } from "@ldtext/export";
import type { SnrProbe } from "@ldtext/core";
import { RefLm, REFLM_NOTE } from "../reflm/index.ts";
import { documentDependence, extractiveness, memIndexFor, summarizationMetrics, unconditionalMetrics, type DocumentDependence, type Extractiveness, type SummarizationMetrics, type UnconditionalMetrics } from "../features/index.ts";
import { METEOR_NOTE } from "../metrics/index.ts";
import { progressBar } from "../progress.ts";
import { initBackend } from "@ldtext/training";

export interface EvalOptions {
  artifact: string;
  /** rocstories | wikipedia | xsum | a folder of `<split>.jsonl[.gz]`. */
  data: string;
  samples: number;
  steps: number;
  sampler?: SamplerKind;
  seed?: number;
  guidance?: number;
  /** Summaries sampled per document, the kept one chosen by minimum Bayes risk; unset: the artifact's served default. */
  candidates?: number;
  /** Latent clamping threshold (0 = off); unset: the artifact's served default. */
  clamp?: number;
  reflm?: string;
  split?: string;
  /** MAUVE reference texts (default: as many as samples). */
  references?: number;
  batchSize?: number;
  out: string;
  /** Skip Mem (no training split at hand). */
  noMem?: boolean;
  cacheDir?: string;
  dataDir?: string;
  progress?: boolean;
  /** ORT threads for sampling. */
  threads?: number;
  /** The denoiser graph sampled: fp32 (default) or the artifact's int8 one. */
  denoiser?: DenoiserPrecision;
  /** The decoder: auto (default: ArDec when the artifact has its graphs), nar (Dec) or ar (ArDec). */
  decoder?: DecoderChoice;
}

export interface EvalResult {
  kind: "ldtext-eval";
  version: 1;
  createdAt: string;
  config: Required<Pick<EvalOptions, "artifact" | "data" | "samples" | "steps" | "sampler" | "seed" | "guidance" | "split" | "batchSize">> & { clamp?: number; candidates?: number; references: number; reflm: string | null; denoiser?: DenoiserPrecision; decoder?: DecoderChoice };
  artifact: { id: string; version: string; task: "generate" | "summarize"; maxLen: number; norm: string; trainingSteps: number; command: string };
  reflm: { id: string; trainedOn: string; steps: number } | null;
  /** `decoder`: the one that decoded (ar = ArDec's greedy decode, nar = Dec); absent in results from before ArDec. */
  sampling: { seconds: number; secondsPerSample: number; samples: number; decoder?: "ar" | "nar" };
  unconditional?: UnconditionalMetrics;
  summarization?: SummarizationMetrics;
  /**
   * Dec(x̂0) token accuracy at fixed SNRs on the split's texts (one call / self-conditioned), the
   * same probe as training's validation; generate artifacts with an encoder graph only.
   */
  snrProbe?: { texts: number; probes: SnrProbe[] };
  /** Summaries: own-minus-shuffled-reference ROUGE and cross-document similarity at a shared seed (model and lead-1). */
  dependence?: { model: DocumentDependence; lead1: DocumentDependence };
  /** The lead-1 baseline (each document's first sentence as its summary) on the same pairs: what "no model" scores. */
  lead1?: SummarizationMetrics;
  /** Summaries: novel words / word pairs (absent from the document) and ROUGE-L against the lead, for the model, the references and lead-1. */
  extractiveness?: { model: Extractiveness; reference: Extractiveness; lead1: Extractiveness };
  notes: string[];
  seconds: number;
}

/** Texts cut to their first `tokens` compact tokens (the MODEL-SPEC layout without EOS/PAD). */
export function truncateTexts(texts: readonly string[], vocabulary: Vocabulary, tokens: number): string[] {
  const tok = CompactTokenizer.fromJSON(vocabulary);
  try {
    return texts.map((t) => tok.decode(tok.encode(t).slice(0, tokens)));
  } finally {
    tok.free();
  }
}

const f = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d));

export function resultMarkdown(r: EvalResult): string {
  const lines = [
    `# Evaluation: ${r.artifact.id}@${r.artifact.version}`,
    "",
    `${r.config.samples} samples, ${r.config.steps} steps, sampler ${r.config.sampler}, seed ${r.config.seed}${r.config.guidance > 0 ? `, guidance ${r.config.guidance}` : ""}${(r.config.candidates ?? 1) > 1 ? `, best of ${r.config.candidates} candidates (minimum Bayes risk)` : ""}${(r.config.clamp ?? 0) > 0 ? `, latent clamping at t ≤ ${r.config.clamp}` : ""}${r.config.denoiser === "int8" ? ", int8 denoiser" : ""}${r.sampling.decoder === "ar" ? ", ArDec (greedy)" : ""}; data ${r.config.data}/${r.config.split}; reference LM ${r.reflm?.id ?? "none"}. Sampling ${f(r.sampling.secondsPerSample * 1000, 1)} ms/sample.`,
    "",
  ];
  if (r.unconditional) {
    const u = r.unconditional;
    const pct = (x: number | null | undefined) => (x === null || x === undefined ? "–" : `${(100 * x).toFixed(2)} %`);
    lines.push("| PPL (mean) | PPL ratio to test texts | PPL (5–95 % trimmed) | unknown words | token entropy | MAUVE | Div | Mem |", "|---:|---:|---:|---:|---:|---:|---:|---:|");
    lines.push(`| ${f(u.ppl?.mean, 1)} | ${f(u.pplRatio, 2)} | ${f(u.ppl?.trimmedMean, 1)} | ${pct(u.unknownWords?.rate)} | ${f(u.entropy.sampleTokens)} | ${f(u.mauve?.mauve)} | ${f(u.div.div)} | ${f(u.mem?.mem)} |`);
    const rt = u.referenceTexts;
    if (rt) lines.push("", `Reference texts (${rt.count}, same length): PPL ${f(rt.ppl?.mean, 1)} (trimmed ${f(rt.ppl?.trimmedMean, 1)}), unknown words ${pct(rt.unknownWordRate)}, token entropy ${f(rt.entropy)}, Div ${f(rt.div)}, Mem ${f(rt.mem)}.`);
    if (u.unknownWords && u.unknownWords.examples.length > 0) lines.push("", `Unknown words in samples (examples): ${u.unknownWords.examples.map((w) => `"${w}"`).join(", ")}.`);
  }
  if (r.snrProbe) {
    lines.push("", `Fixed-SNR probe (${r.snrProbe.texts} test texts; Dec(x̂0) token accuracy, one call / self-conditioned):`, "", "| SNR | t | L_dif | accuracy | self-conditioned |", "|---:|---:|---:|---:|---:|");
    for (const p of r.snrProbe.probes) lines.push(`| ${p.snr} | ${f(p.t)} | ${f(p.dif)} | ${(100 * p.acc).toFixed(1)} % | ${(100 * p.accSc).toFixed(1)} % |`);
  }
  if (r.summarization) {
    const s = r.summarization;
    lines.push("| | R-1 | R-2 | R-L | R-1 (stem) | R-2 (stem) | R-L (stem) | BLEU | METEOR | BERTScore F1* |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    const row = (label: string, m: SummarizationMetrics) =>
      `| ${label} | ${f(m.rouge.plain.rouge1.fmeasure)} | ${f(m.rouge.plain.rouge2.fmeasure)} | ${f(m.rouge.plain.rougeL.fmeasure)} | ${f(m.rouge.stemmed.rouge1.fmeasure)} | ${f(m.rouge.stemmed.rouge2.fmeasure)} | ${f(m.rouge.stemmed.rougeL.fmeasure)} | ${f(m.bleu.bleu)} | ${f(m.meteor)} | ${f(m.bertScore?.f1)} |`;
    lines.push(row("model", s));
    if (r.lead1) lines.push(row("lead-1 (first sentence, no model)", r.lead1));
    if (r.dependence) {
      const d = (label: string, x: DocumentDependence) =>
        `| ${label} | ${f(x.rougeL.own)} | ${f(x.rougeL.shuffled)} | **${f(x.rougeL.dependence)}** | ${f(x.rouge1.dependence)} | ${x.sharedSeedSimilarity === null ? "–" : f(x.sharedSeedSimilarity)} | ${x.verdict} |`;
      lines.push("", "Document dependence (ROUGE stemmed; shuffled = another document's reference, a fixed permutation; similarity = mean pairwise ROUGE-L of summaries of different documents from one shared seed):", "", "| | R-L own | R-L shuffled | R-L dependence | R-1 dependence | shared-seed similarity | verdict |", "|---|---:|---:|---:|---:|---:|---|");
      lines.push(d("model", r.dependence.model), d("lead-1", r.dependence.lead1));
    }
    if (r.extractiveness) {
      const pc = (x: number) => `${(100 * x).toFixed(1)} %`;
      const e = (label: string, x: Extractiveness) => `| ${label} | ${pc(x.novelUnigrams)} | ${pc(x.novelBigrams)} | ${f(x.leadRougeL)} |`;
      lines.push("", "Copying (words and word pairs of the summary absent from its document; ROUGE-L against the document's first sentence):", "", "| | novel words | novel word pairs | R-L vs lead |", "|---|---:|---:|---:|");
      lines.push(e("model", r.extractiveness.model), e("reference", r.extractiveness.reference), e("lead-1", r.extractiveness.lead1));
    }
  }
  lines.push("", ...r.notes.map((n) => `- ${n}`), "");
  return lines.join("\n");
}

/**
 * A document's first sentence: its first non-empty line (XSum stores one sentence per line), cut at
 * the first sentence end inside that line when the line holds several.
 */
export function leadSentence(document: string): string {
  const line = document.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "";
  const m = /^(.+?[.!?]["')\]]?)\s+(?=["'([]?[A-Z0-9])/.exec(line);
  return m ? m[1] : line;
}

/** The evaluation texts of a split: unconditional texts, or XSum-style pairs. */
async function splitData(data: string, split: string, task: "generate" | "summarize", limit: number, dataDir?: string): Promise<{ texts: string[]; documents?: string[] }> {
  const dd = dataDir ? { dataDir } : {};
  if (task === "summarize") {
    const pairs = await collect(readXsum(split, data === "xsum" ? dd : { ...dd, path: data }), limit);
    return { texts: pairs.map((p) => p.summary), documents: pairs.map((p) => p.document) };
  }
  if (data === "xsum") throw new Error("--data xsum holds document/summary pairs: evaluate a summarize artifact with it");
  return { texts: await collect(readTexts(data, split, dd), limit) };
}

export async function evaluate(o: EvalOptions): Promise<EvalResult> {
  const t0 = performance.now();
  const show = o.progress !== false;
  const manifest = await readArtifact(o.artifact);
  const task = manifest.task;
  const split = o.split ?? "test";
  const sampler = o.sampler ?? "ddim";
  const seed = o.seed ?? 0;
  // Unset: what the server would use for a request without it (the manifest's served default).
  const guidance = o.guidance ?? servedGuidance(manifest);
  if (task !== "summarize" && (o.candidates ?? 1) > 1) throw new Error("--candidates chooses among summaries of one document: a generate model has none");
  const candidates = task === "summarize" ? (o.candidates ?? servedCandidates(manifest)) : 1;
  const clamp = o.clamp ?? servedClamp(manifest);
  const batchSize = o.batchSize ?? 32;
  if (!Number.isInteger(o.samples) || o.samples < 1) throw new RangeError(`--samples must be a positive integer, got ${o.samples}`);
  const nRefs = task === "summarize" ? o.samples : (o.references ?? o.samples);
  const split0 = await splitData(o.data, split, task, Math.max(nRefs, o.samples), o.dataDir);
  if (task === "summarize" && split0.texts.length < o.samples) throw new Error(`${o.data}/${split}: ${split0.texts.length} pairs, fewer than --samples ${o.samples}`);
  if (split0.texts.length === 0) throw new Error(`${o.data}/${split}: no texts`);
  const notes: string[] = [];

  const bar = progressBar("sample", o.samples, show);
  const sampled = await sampleArtifact({
    artifactDir: o.artifact,
    n: o.samples,
    steps: o.steps,
    sampler,
    seed,
    batchSize,
    ...(task === "summarize" ? { documents: split0.documents!.slice(0, o.samples), guidance, candidates } : {}),
    clamp,
    threads: o.threads ?? 1,
    denoiser: o.denoiser ?? "fp32",
    decoder: o.decoder ?? "auto",
    onProgress: (done) => bar.update(done),
  });
  bar.stop();

  // The reference LM runs on TF.js: the project's fast CPU path (wasm + OpenBLAS) unless a backend is already set up.
  if (o.reflm && !["wasm", "tensorflow"].includes(tf.getBackend())) await initBackend("auto", { log: null });
  const reflm = o.reflm ? await RefLm.load(o.reflm) : undefined;
  if (reflm && reflm.config.vocabSize !== manifest.config.vocabSize) notes.push(`Reference LM vocabulary (${reflm.config.vocabSize}) differs from the artifact's (${manifest.config.vocabSize}).`);
  if (reflm) notes.push(REFLM_NOTE);
  let unconditional: UnconditionalMetrics | undefined;
  let summarization: SummarizationMetrics | undefined;
  let lead1: SummarizationMetrics | undefined;
  let snrProbe: EvalResult["snrProbe"];
  let dependence: EvalResult["dependence"];
  let extract: EvalResult["extractiveness"];
  try {
    if (task === "generate") {
      let memIndex;
      let wordIndex;
      if (!o.noMem) {
        for (const n of [4, 1]) {
          const mb = progressBar(n === 4 ? "mem-index" : "word-index", 1, show);
          const m = await memIndexFor(o.data, { n, cacheDir: o.cacheDir, dataDir: o.dataDir, onProgress: (k) => mb.update(0, `${k} texts`) });
          mb.update(1, m.built ? `built ${m.path}` : `cached ${m.path}`);
          mb.stop();
          if (n === 4) memIndex = m.index;
          else wordIndex = m.index;
        }
      }
      // References in the model's own layout: cut to L − 1 tokens, as the training texts were, so
      // MAUVE compares texts of the same length (the preprint's ablations use 8-token texts).
      const references = truncateTexts(split0.texts.slice(0, nRefs), manifest.vocabulary, manifest.config.maxLen - 1);
      unconditional = unconditionalMetrics(sampled.texts, { reflm, references, memIndex, wordIndex, seed: 25 });
      if (reflm || wordIndex) {
        const ref = unconditionalMetrics(references, { reflm, memIndex, wordIndex });
        unconditional.referenceTexts = { ppl: ref.ppl, div: ref.div.div, mem: ref.mem?.mem ?? null, unknownWordRate: ref.unknownWords?.rate ?? null, entropy: ref.entropy.sampleTokens, meanWords: ref.meanWords, count: references.length };
        unconditional.pplRatio = unconditional.ppl && ref.ppl ? unconditional.ppl.mean / ref.ppl.mean : null;
      }
      if (manifest.graphs.encoder) {
        const probeTexts = split0.texts.slice(0, Math.min(256, split0.texts.length));
        snrProbe = { texts: probeTexts.length, probes: await probeArtifactSnr({ artifactDir: o.artifact, texts: probeTexts, threads: o.threads ?? 1 }) };
      } else notes.push("Fixed-SNR probe: not computed (the artifact has no encoder graph).");
      notes.push(...unconditional.notes, `MAUVE references: the first ${nRefs} texts of ${o.data}/${split}, cut to the model's ${manifest.config.maxLen - 1} tokens.`);
    } else {
      const refs = split0.texts.slice(0, o.samples);
      const docs = split0.documents!.slice(0, o.samples);
      const leads = docs.map(leadSentence);
      summarization = summarizationMetrics(sampled.texts, refs, reflm);
      lead1 = summarizationMetrics(leads, refs, reflm);
      extract = { model: extractiveness(sampled.texts, docs, leads), reference: extractiveness(refs, docs, leads), lead1: extractiveness(leads, docs, leads) };
      if (o.samples >= 2) {
        // The same noise for different documents: each as its own request with the one shared seed.
        const shared = (await sampleArtifact({ artifactDir: o.artifact, steps: o.steps, sampler, seed, documents: docs.slice(0, 12), sharedSeed: true, guidance, candidates, clamp, batchSize, threads: o.threads ?? 1, denoiser: o.denoiser ?? "fp32", decoder: o.decoder ?? "auto" })).texts;
        dependence = { model: documentDependence(sampled.texts, refs, shared), lead1: documentDependence(leads, refs) };
        if (dependence.model.verdict === "ignores the document") notes.push(`The model ignores the document: ROUGE-L against its own reference ${f(dependence.model.rougeL.own)} vs a shuffled reference ${f(dependence.model.rougeL.shuffled)}.`);
      }
      notes.push(...summarization.notes.filter((n) => n !== METEOR_NOTE), METEOR_NOTE);
    }
  } finally {
    reflm?.dispose();
  }

  const result: EvalResult = {
    kind: "ldtext-eval",
    version: 1,
    createdAt: new Date().toISOString(),
    config: { artifact: o.artifact, data: o.data, samples: o.samples, steps: o.steps, sampler, seed, guidance, clamp, ...(candidates > 1 ? { candidates } : {}), split, batchSize, references: nRefs, reflm: o.reflm ?? null, denoiser: o.denoiser ?? "fp32", decoder: o.decoder ?? "auto" },
    artifact: {
      id: manifest.id,
      version: manifest.version,
      task,
      maxLen: manifest.config.maxLen,
      norm: manifest.normalization.kind,
      trainingSteps: manifest.training.steps,
      command: manifest.training.command,
    },
    reflm: reflm ? { id: reflm.id, trainedOn: reflm.meta.data.source, steps: reflm.meta.step } : null,
    sampling: { seconds: sampled.seconds, secondsPerSample: sampled.seconds / o.samples, samples: o.samples, decoder: sampled.decoder },
    ...(unconditional ? { unconditional } : {}),
    ...(summarization ? { summarization } : {}),
    ...(lead1 ? { lead1 } : {}),
    ...(snrProbe ? { snrProbe } : {}),
    ...(dependence ? { dependence } : {}),
    ...(extract ? { extractiveness: extract } : {}),
    notes: [...new Set(notes)],
    seconds: (performance.now() - t0) / 1000,
  };
  await mkdir(o.out, { recursive: true });
  const samplesJsonl = sampled.texts
    .map((text, i) => JSON.stringify(task === "summarize" ? { i, text, reference: split0.texts[i] } : { i, text }))
    .join("\n");
  await writeFileAtomic(join(o.out, "samples.jsonl"), `${samplesJsonl}\n`);
  await writeFileAtomic(join(o.out, "result.md"), resultMarkdown(result));
  await writeFileAtomic(join(o.out, "result.json"), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
