// The six experiments of issue 9: what runs, what is tabulated next to the preprint (METHOD.md §8),
// which plots are drawn, and the reading (whether each of the preprint's findings held here).
import { join } from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readdir } from "node:fs/promises";
import { writeLineChart } from "@ldtext/charts";
import { writeFileAtomic, type SamplerKind } from "@ldtext/core";
import { sampleArtifact } from "@ldtext/export";
import type { EvalResult } from "../run/evaluate.ts";
import type { SummarizationMetrics, UnconditionalMetrics } from "../features/index.ts";
import { REFLM_NOTE, BERTSCORE_NOTE } from "../reflm/index.ts";
import { METEOR_NOTE } from "../metrics/index.ts";
import type { ExperimentName, ExperimentReport } from "./report.ts";
import { type RunSpec, type Work, ensureArtifact, ensureEval, ensureTrained, evalArtifact, runKey, validationLog } from "./work.ts";

export interface ExperimentContext extends Work {
  reportsDir: string;
  /** `steps`: the artifact to sweep (default: the shipped generate model, else this scale's Table 2 DataNorm run). */
  artifact?: string;
}

export type ExperimentBody = Pick<ExperimentReport, "setting" | "results" | "table" | "preprint" | "reading" | "notes" | "plots">;

const num = (x: number | null | undefined): number | null => (x === null || x === undefined || !Number.isFinite(x) ? null : x);

/** The unconditional numbers of one evaluation, flat. */
function uncond(r: EvalResult) {
  const u = r.unconditional!;
  return {
    ppl: num(u.ppl?.mean),
    pplTrimmed: num(u.ppl?.trimmedMean),
    mauve: num(u.mauve?.mauve),
    div: num(u.div.div),
    mem: num(u.mem?.mem),
    entropy: num(u.entropy.sampleTokens),
    emptySamples: u.emptySamples,
    meanWords: u.meanWords,
    referenceTexts: u.referenceTexts ?? null,
  };
}

/** The test texts' own PPL / Div / entropy (same length), as the last table row: what the data scores. */
function referenceRow(first: { referenceTexts: NonNullable<UnconditionalMetrics["referenceTexts"]> | null }, width: number): (string | number | null)[][] {
  const r = first.referenceTexts;
  if (!r) return [];
  const cells: (string | number | null)[] = ["test texts (reference)", num(r.ppl?.mean), num(r.ppl?.trimmedMean), null, r.div, r.mem, r.entropy];
  while (cells.length < width) cells.push(null);
  return [cells.slice(0, width)];
}

/**
 * The run's last validation token accuracy of Dec on clean latents: whether its autoencoder learned
 * at all. Printed beside every sample metric, because at CPU budgets a variant can lose on MAUVE
 * simply because its decoder cannot yet reconstruct text (two-stage: the stage-1 autoencoder).
 */
async function reconAccuracy(w: Work, spec: RunSpec): Promise<number | null> {
  const dir = await ensureTrained(w, spec);
  const val = validationLog(spec.config === "two-stage" ? join(dir, "..", "stage1") : dir);
  return val.length > 0 ? num(val[val.length - 1].reconAcc) : null;
}

type Uncond = ReturnType<typeof uncond>;

/** Variants whose autoencoder did not learn to reconstruct (recon acc < 50 %): their sample metrics measure that failure. */
function unlearned(rows: readonly { reconAcc: number | null }[], label: (i: number) => string): string[] {
  const bad = rows.map((r, i) => ({ r, i })).filter(({ r }) => r.reconAcc !== null && r.reconAcc < 0.5);
  if (bad.length === 0) return [];
  return [
    `The autoencoder of ${bad.map(({ r, i }) => `${label(i)} (recon acc ${(100 * r.reconAcc!).toFixed(0)} %)`).join(", ")} did not learn to reconstruct text in this budget, so its sample metrics measure that failure rather than its diffusion model.`,
  ];
}

/**
 * A warning when MAUVE says "close to the data" while the reference LM finds the samples far less
 * likely than the test texts: the small reference LM's features (and ~200 samples, k ≈ 20 clusters)
 * cannot tell such samples from text, so PPL is the more telling number of that table.
 */
function mauveCaveat(rows: readonly Uncond[]): string[] {
  const refPpl = rows[0]?.referenceTexts?.ppl?.mean ?? null;
  if (refPpl === null || !Number.isFinite(refPpl)) return [];
  const blind = rows.filter((r) => r.mauve !== null && r.mauve > 0.8 && r.ppl !== null && r.ppl > 10 * refPpl);
  if (blind.length === 0) return [];
  return [
    `Caution: ${blind.length} of ${rows.length} variants reach MAUVE > 0.8 with a PPL more than 10× the test texts' (${refPpl.toFixed(1)}): the reference LM's features do not separate these samples from real text at this scale, so read MAUVE as "not degenerate" and compare by PPL.`,
  ];
}

/** The summarization numbers of one evaluation (the model's, or its lead-1 baseline's), flat. */
function summ(s: SummarizationMetrics) {
  return {
    rouge1: s.rouge.stemmed.rouge1.fmeasure,
    rouge2: s.rouge.stemmed.rouge2.fmeasure,
    rougeL: s.rouge.stemmed.rougeL.fmeasure,
    rouge1Plain: s.rouge.plain.rouge1.fmeasure,
    rouge2Plain: s.rouge.plain.rouge2.fmeasure,
    rougeLPlain: s.rouge.plain.rougeL.fmeasure,
    bleu: s.bleu.bleu,
    meteor: s.meteor,
    bertScore: num(s.bertScore?.f1),
  };
}

/** Validation L_dif and CE over training for each run of a table (joint runs and stage 1 of the baseline). */
async function trainingCurves(w: ExperimentContext, name: string, runs: { label: string; spec: RunSpec }[]): Promise<string[]> {
  const dif: { name: string; points: (readonly [number, number])[] }[] = [];
  const ce: { name: string; points: (readonly [number, number])[] }[] = [];
  for (const r of runs) {
    const dir = await ensureTrained(w, r.spec);
    const val = validationLog(r.spec.config === "two-stage" ? join(dir, "..", "stage1") : dir).filter((v) => v.step > 0);
    if (val.length === 0) continue;
    dif.push({ name: r.label, points: val.map((v) => [v.step, v.dif] as const) });
    ce.push({ name: r.label, points: val.map((v) => [v.step, v.ce] as const) });
  }
  if (dif.length === 0) return [];
  await mkdir(w.reportsDir, { recursive: true });
  const out: string[] = [];
  for (const [suffix, series, label] of [["val-dif", dif, "validation L_dif"], ["val-ce", ce, "validation CE(w, Dec(x̂0))"]] as const) {
    const chart = await writeLineChart(join(w.reportsDir, `${name}-${suffix}`), { title: `${label} during training`, xLabel: "training step", yLabel: label, series });
    out.push(chart.svgPath, ...(chart.pngPath ? [chart.pngPath] : []));
  }
  return out.map((p) => p.slice(w.reportsDir.length + 1));
}

const UNCOND_COLUMNS = ["PPL", "PPL 5–95 %", "MAUVE", "Div", "Mem", "token entropy", "recon acc"];
const uncondCells = (m: Uncond & { reconAcc: number | null }) => [m.ppl, m.pplTrimmed, m.mauve, m.div, m.mem, m.entropy, m.reconAcc];

function evalSetting(w: Work) {
  const s = w.scale;
  return {
    scale: s.name, preset: s.preset, trainSteps: s.steps, batch: s.batch, maxTrainExamples: s.maxTrain,
    evaluation: { samples: s.samples, denoisingSteps: s.evalSteps, sampler: s.sampler, seed: 0, split: "test", referenceLm: s.reflm },
  };
}

type Verdict = boolean | null | "tie";
const held = (ok: Verdict) =>
  ok === null ? "**could not be checked** (a metric is missing)" : ok === "tie" ? "**inconclusive** (the difference is below the tolerance)" : ok ? "**held**" : "**did not hold**";
/** Whether a beats b, with differences within `tol` (the metric's sampling noise at this sample size) called a tie. */
const cmp = (a: number | null, b: number | null, tol = 0.005, higherIsBetter = true): Verdict =>
  a === null || b === null ? null : Math.abs(a - b) <= tol ? "tie" : higherIsBetter ? a > b : a < b;
/** MAUVE's tolerance: its k-means quantisation makes ±0.01 common between reruns at a few hundred samples. */
const MAUVE_TOL = 0.01;
const fmt = (x: number | null, d = 3) => (x === null ? "–" : x.toFixed(d));

function baseNotes(w: Work): string[] {
  const notes = [REFLM_NOTE, RECON_NOTE];
  if (w.scale.name === "tiny") notes.unshift("Scale tiny: a few training steps on a tiny model — this report only shows that the runner works.");
  else {
    const s = w.scale;
    notes.unshift(
      `Scale ${s.name}: the ${s.preset} preset, ${s.steps} steps of batch ${s.batch} per run on one CPU core — orders of magnitude below the preprint's budget. At this budget no variant produces fluent text (MAUVE near 0 against the test texts), so the comparisons below mostly say which variant learned fastest; differences within the stated tolerances are called inconclusive.`,
    );
  }
  return notes;
}

const RECON_NOTE = "recon acc: token accuracy of the decoder on clean (normalised) encodings of validation texts at the end of training (two-stage: its stage-1 autoencoder).";

async function table1(w: ExperimentContext): Promise<ExperimentBody> {
  const L = w.scale.shortLength;
  const runs = [0.99, 0.01].map((alpha): RunSpec => ({ task: "generate", data: "wikipedia", config: 1, norm: "data", alpha, length: L }));
  const results: (Uncond & { alpha: number; run: string; reconAcc: number | null })[] = [];
  for (const r of runs) results.push({ alpha: r.alpha, run: runKey(r, w.scale), ...uncond(await ensureEval(w, r)), reconAcc: await reconAccuracy(w, r) });
  const [hi, lo] = results;
  const plots = await trainingCurves(w, "table1", runs.map((spec) => ({ label: `α ${spec.alpha}`, spec })));
  return {
    setting: { ...evalSetting(w), data: "wikipedia", config: 1, norm: "data", length: L, alphas: [0.99, 0.01] },
    results,
    table: { columns: ["α", ...UNCOND_COLUMNS], rows: [...results.map((r) => [String(r.alpha), ...uncondCells(r)]), ...referenceRow(results[0], 8)] },
    preprint: { columns: ["α", "PPL", "MAUVE", "Div", "Mem"], rows: [["0.99", 293.9, 0.921, 0.645, 0.362], ["0.01", 294.3, 0.943, 0.666, 0.354]] },
    reading: [
      `Preprint: α = 0.01 has the higher MAUVE (.943 vs .921). Here ${fmt(lo.mauve)} vs ${fmt(hi.mauve)}: ${held(cmp(lo.mauve, hi.mauve, MAUVE_TOL))}.`,
      `Preprint: α = 0.01 has the higher Div (.666 vs .645). Here ${fmt(lo.div)} vs ${fmt(hi.div)}: ${held(cmp(lo.div, hi.div))}.`,
      `Preprint: PPL about equal (294.3 vs 293.9). Here ${fmt(lo.ppl, 1)} vs ${fmt(hi.ppl, 1)}.`,
      ...unlearned(results, (i) => `α = ${results[i].alpha}`),
      ...mauveCaveat(results),
    ],
    notes: baseNotes(w),
    plots,
  };
}

async function table2(w: ExperimentContext): Promise<ExperimentBody> {
  const L = w.scale.shortLength;
  const norms = ["sphere", "batch", "layer", "data"] as const;
  const results: (Uncond & { norm: string; run: string; reconAcc: number | null })[] = [];
  const specs: RunSpec[] = norms.map((norm) => ({ task: "generate", data: "wikipedia", config: 1, norm, alpha: 0.01, length: L }));
  for (const r of specs) results.push({ norm: r.norm, run: runKey(r, w.scale), ...uncond(await ensureEval(w, r)), reconAcc: await reconAccuracy(w, r) });
  const plots = await trainingCurves(w, "table2", specs.map((spec) => ({ label: spec.norm, spec })));
  const by = (n: string) => results.find((r) => r.norm === n)!;
  const bestMauve = [...results].sort((a, b) => (b.mauve ?? -1) - (a.mauve ?? -1))[0];
  const bestPpl = [...results].sort((a, b) => (a.ppl ?? Infinity) - (b.ppl ?? Infinity))[0];
  const bestDiv = [...results].sort((a, b) => (b.div ?? -1) - (a.div ?? -1))[0];
  return {
    setting: { ...evalSetting(w), data: "wikipedia", config: 1, alpha: 0.01, length: L, norms },
    results,
    table: { columns: ["normalization", ...UNCOND_COLUMNS], rows: [...results.map((r) => [r.norm, ...uncondCells(r)]), ...referenceRow(results[0], 8)] },
    preprint: {
      columns: ["normalization", "PPL", "MAUVE", "Div", "Mem"],
      rows: [["sphere", 319.5, 0.932, 0.672, 0.324], ["batch", 344.1, 0.934, 0.705, 0.319], ["layer", 326.0, 0.904, 0.674, 0.322], ["data", 294.4, 0.943, 0.666, 0.354]],
    },
    reading: [
      `Preprint: DataNorm has the best MAUVE (.943). Here the best MAUVE is ${bestMauve.norm} (${fmt(bestMauve.mauve)}; DataNorm ${fmt(by("data").mauve)}): ${held(bestMauve.mauve === null ? null : bestMauve.norm === "data")}.`,
      `Preprint: DataNorm has the lowest PPL (294.4). Here the lowest PPL is ${bestPpl.norm} (${fmt(bestPpl.ppl, 1)}): ${held(bestPpl.ppl === null ? null : bestPpl.norm === "data")}.`,
      `Preprint: BatchNorm has the highest Div (.705). Here the highest Div is ${bestDiv.norm} (${fmt(bestDiv.div)}): ${held(bestDiv.div === null ? null : bestDiv.norm === "batch")}.`,
      `Preprint: LayerNorm has the lowest MAUVE (.904). Here LayerNorm ${fmt(by("layer").mauve)}: ${held(by("layer").mauve === null ? null : results.every((r) => r.norm === "layer" || (r.mauve ?? -1) >= (by("layer").mauve ?? -1)))}.`,
      ...unlearned(results, (i) => results[i].norm),
      ...mauveCaveat(results),
    ],
    notes: baseNotes(w),
    plots,
  };
}

async function fig1(w: ExperimentContext): Promise<ExperimentBody> {
  const L = w.scale.fig1Length;
  const series: { name: string; points: (readonly [number, number])[] }[] = [];
  const results: { data: string; run: string; epochs: number | null; finalValDif: number; minValDif: number; minStep: number; degradation: number; finalValCe: number; reconAcc: number; curve: { step: number; dif: number; ce: number }[] }[] = [];
  for (const data of ["rocstories", "wikipedia"]) {
    const sizes = w.scale.fig1MaxTrain;
    const r: RunSpec = { task: "generate", data, config: 1, norm: "data", alpha: 0.01, length: L, ...(sizes ? { maxTrain: sizes[data as keyof typeof sizes] } : {}) };
    const dir = await ensureTrained(w, r);
    const val = validationLog(dir).filter((v) => v.step > 0);
    series.push({ name: data, points: val.map((v) => [v.step, v.dif] as const) });
    const none = { step: 0, dif: NaN, ce: NaN, reconAcc: NaN };
    const min = val.reduce((m, v) => (v.dif < m.dif ? v : m), val[0] ?? none);
    const last = val[val.length - 1] ?? none;
    results.push({ data, run: runKey(r, w.scale), epochs: passesOverCorpus(dir), finalValDif: last.dif, minValDif: min.dif, minStep: min.step, degradation: last.dif - min.dif, finalValCe: last.ce, reconAcc: last.reconAcc, curve: val.map(({ step, dif, ce }) => ({ step, dif, ce })) });
  }
  await mkdir(w.reportsDir, { recursive: true });
  const chart = await writeLineChart(join(w.reportsDir, "fig1-val-dif"), {
    title: "Validation diffusion loss (configuration 1)",
    xLabel: "training step",
    yLabel: "validation L_dif",
    series,
  });
  const [roc, wiki] = results;
  const rel = (r: (typeof results)[number]) => (r.minValDif > 0 ? r.degradation / r.minValDif : NaN);
  // Degrades: ends > 2 % above its minimum, and by > 2 points more than Wikipedia (else a tie).
  const rocDegrades: Verdict = !Number.isFinite(rel(roc)) || !Number.isFinite(rel(wiki)) ? null : rel(roc) <= 0.02 ? false : rel(roc) - rel(wiki) <= 0.02 ? "tie" : true;
  // Over-fitting needs repeated passes over the corpus: before one full epoch the finding cannot show.
  const tooShort = roc.epochs !== null && roc.epochs < 1;
  const collapsed = results.filter((r) => r.minValDif < 0.05).map((r) => r.data);
  return {
    setting: { scale: w.scale.name, preset: w.scale.preset, trainSteps: w.scale.steps, batch: w.scale.batch, maxTrainExamples: w.scale.fig1MaxTrain ?? w.scale.maxTrain, valEvery: w.scale.valEvery, valExamples: w.scale.valExamples, config: 1, norm: "data", alpha: 0.01, length: L },
    results,
    table: {
      columns: ["corpus", "full epochs", "final val L_dif", "min val L_dif", "at step", "final − min", "final val CE", "recon acc"],
      rows: results.map((r) => [r.data, r.epochs === null ? null : String(r.epochs), r.finalValDif, r.minValDif, String(r.minStep), r.degradation, r.finalValCe, r.reconAcc]),
    },
    preprint: { columns: ["corpus", "finding"], rows: [["ROCStories", "too small: validation diffusion loss degrades during training"], ["Wikipedia", "validation loss keeps improving"]] },
    reading: [
      `Preprint: on ROCStories the validation diffusion loss degrades (over-fitting a small corpus); here it rose ${(100 * rel(roc)).toFixed(1)} % above its minimum (Wikipedia ${(100 * rel(wiki)).toFixed(1)} %): ${tooShort ? `**could not be checked** — the run completed no full pass over ROCStories (training ended inside epoch ${(roc.epochs ?? 0) + 1}), and over-fitting needs repeated passes; a budget of several epochs (--steps) is needed` : collapsed.length > 0 ? `**could not be checked** — the encodings of the ${collapsed.join(" and ")} run collapsed (below)` : held(rocDegrades)} (criterion: ROCStories ends > 2 % above its minimum, and by > 2 points more than Wikipedia).`,
      ...results
        .filter((r) => r.minValDif < 0.05)
        .map(
          (r) =>
            `The ${r.data} run's encodings collapsed (validation L_dif ${r.minValDif.toFixed(3)} at step ${r.minStep}, recon acc ${(100 * r.reconAcc).toFixed(0)} % at the end): a near-zero diffusion loss means the latents carried almost nothing, so this curve says nothing about over-fitting.`,
        ),
      ...(w.scale.fig1MaxTrain
        ? [`Corpus sizes: ${w.scale.fig1MaxTrain.rocstories.toLocaleString("en")} ROCStories stories and ${w.scale.fig1MaxTrain.wikipedia.toLocaleString("en")} Wikipedia paragraphs — the 1 : 3.37 ratio of their full training splits, scaled down so this budget makes several passes over ROCStories as the preprint's long training did; validation uses the full validation splits.`]
        : []),
      "Note that joint training moves the encodings, so the validation L_dif is measured on a moving target; the curve is the preprint's quantity all the same.",
    ],
    notes: baseNotes(w).filter((n) => n !== REFLM_NOTE),
    plots: [chart.svgPath, ...(chart.pngPath ? [chart.pngPath] : [])].map((p) => p.slice(w.reportsDir.length + 1)),
  };
}

const CONFIGS: RunSpec["config"][] = [1, 2, 3, "two-stage"];
const configName = (c: RunSpec["config"]) => (c === "two-stage" ? "two-stage (AE, then Dif on frozen AE)" : `configuration ${c}`);

async function table3(w: ExperimentContext): Promise<ExperimentBody> {
  const L = w.scale.longLength;
  const results = [];
  const specOf = (config: RunSpec["config"]): RunSpec => ({ task: "generate", data: "wikipedia", config, norm: "data", alpha: 0.01, length: L });
  for (const config of CONFIGS) {
    const r = specOf(config);
    results.push({ config: String(config), run: runKey(r, w.scale), ...uncond(await ensureEval(w, r)), reconAcc: await reconAccuracy(w, r) });
  }
  const [c1, c2, , base] = results;
  const plots = await trainingCurves(w, "table3", CONFIGS.map((c) => ({ label: c === "two-stage" ? "two-stage (stage 1)" : `config ${c}`, spec: specOf(c) })));
  const bestJoint = (c1.mauve ?? -1) >= (c2.mauve ?? -1) ? c1 : c2;
  return {
    setting: { ...evalSetting(w), data: "wikipedia", norm: "data", alpha: 0.01, length: L, configs: CONFIGS, twoStage: "half the steps autoencoder (configuration 3 warm-up over the whole run), half Dif on the frozen autoencoder" },
    results,
    table: { columns: ["model", ...UNCOND_COLUMNS], rows: [...results.map((r, i) => [configName(CONFIGS[i]), ...uncondCells(r)]), ...referenceRow(results[0], 8)] },
    preprint: {
      columns: ["model", "PPL", "MAUVE", "Div", "Mem"],
      rows: [["configuration 1", 71.9, 0.908, 0.447, 0.355], ["configuration 2", 71.6, 0.914, 0.527, 0.304], ["LD4LG (separate)", 70.3, 0.912, 0.533, 0.295], ["TEncDM (separate)", 68.9, 0.921, 0.54, 0.286]],
    },
    reading: [
      `Preprint: configuration 2 beats configuration 1 on MAUVE (.914 vs .908). Here ${fmt(c2.mauve)} vs ${fmt(c1.mauve)}: ${held(cmp(c2.mauve, c1.mauve, MAUVE_TOL))}.`,
      `Preprint: configuration 2 has the higher Div (.527 vs .447). Here ${fmt(c2.div)} vs ${fmt(c1.div)}: ${held(cmp(c2.div, c1.div))}.`,
      `Preprint: the separately-trained baselines beat joint training on MAUVE (TEncDM .921). Here two-stage ${fmt(base.mauve)} vs the best joint configuration ${fmt(bestJoint.mauve)}: ${held(cmp(base.mauve, bestJoint.mauve, MAUVE_TOL))}.`,
      `Configuration 3 (LDLM's fixes, our reading): MAUVE ${fmt(results[2].mauve)}, Div ${fmt(results[2].div)} — not in the preprint.`,
      `Length: ${L} tokens here (the preprint used 128).`,
      ...unlearned(results, (i) => configName(CONFIGS[i])),
      ...mauveCaveat(results),
    ],
    notes: baseNotes(w),
    plots,
  };
}

async function table4(w: ExperimentContext): Promise<ExperimentBody> {
  const L = w.scale.summaryLength;
  const results = [];
  const specOf = (config: RunSpec["config"]): RunSpec => ({ task: "summarize", data: "xsum", config, norm: "data", alpha: 0.01, length: L });
  let lead1: ReturnType<typeof summ> | null = null;
  for (const config of CONFIGS) {
    const r = specOf(config);
    const e = await ensureEval(w, r);
    if (e.lead1) lead1 = summ(e.lead1);
    results.push({ config: String(config), run: runKey(r, w.scale), ...summ(e.summarization!), reconAcc: await reconAccuracy(w, r) });
  }
  const [c1, c2, , base] = results;
  const plots = await trainingCurves(w, "table4", CONFIGS.map((c) => ({ label: c === "two-stage" ? "two-stage (stage 1)" : `config ${c}`, spec: specOf(c) })));
  const bestJoint = c1.rougeL >= c2.rougeL ? c1 : c2;
  return {
    setting: { ...evalSetting(w), data: "xsum (train: train_superni, 1,085 pairs; evaluation: test)", norm: "data", alpha: 0.01, length: L, guidance: 0, configs: CONFIGS },
    results: lead1 ? [...results, { config: "lead-1 (no model)", run: null, ...lead1, reconAcc: null }] : results,
    table: {
      columns: ["model", "R-1", "R-2", "R-L", "R-1 (no stem)", "R-2 (no stem)", "R-L (no stem)", "BLEU", "METEOR", "BERTScore F1*", "recon acc"],
      rows: [
        ...results.map((r, i) => [configName(CONFIGS[i]), r.rouge1, r.rouge2, r.rougeL, r.rouge1Plain, r.rouge2Plain, r.rougeLPlain, r.bleu, r.meteor, r.bertScore, r.reconAcc]),
        ...(lead1 ? [["lead-1 (first sentence of the document, no model)", lead1.rouge1, lead1.rouge2, lead1.rougeL, lead1.rouge1Plain, lead1.rouge2Plain, lead1.rougeLPlain, lead1.bleu, lead1.meteor, lead1.bertScore, null]] : []),
      ],
    },
    preprint: {
      columns: ["model", "R-1", "R-2", "R-L", "BERTScore"],
      rows: [["configuration 1", 0.227, 0.04, 0.175, 0.599], ["configuration 2", 0.237, 0.052, 0.182, 0.642], ["LD4LG (separate)", 0.381, 0.159, 0.312, 0.748], ["TEncDM (separate)", 0.337, 0.119, 0.271, 0.698]],
    },
    reading: [
      `Preprint: configuration 2 beats configuration 1 on ROUGE-L (.182 vs .175). Here ${fmt(c2.rougeL)} vs ${fmt(c1.rougeL)}: ${held(cmp(c2.rougeL, c1.rougeL))}.`,
      `Preprint: configuration 2 beats configuration 1 on BERTScore (.642 vs .599). Here ${fmt(c2.bertScore)} vs ${fmt(c1.bertScore)}: ${held(cmp(c2.bertScore, c1.bertScore, 0.002))}.`,
      `Preprint: the separately-trained baselines are far ahead (R-L .271–.312). Here two-stage ${fmt(base.rougeL)} vs the best joint ${fmt(bestJoint.rougeL)}: ${held(cmp(base.rougeL, bestJoint.rougeL))}.`,
      ...unlearned(results, (i) => configName(CONFIGS[i])),
      "XSum training data here is 1,085 pairs (no official train split was obtainable), so all numbers are far below the preprint's.",
    ],
    notes: [...baseNotes(w), "ROUGE columns without a note use Porter stemming (rouge-score use_stemmer=True); the preprint does not say which.", METEOR_NOTE, `*${BERTSCORE_NOTE}`],
    plots,
  };
}

/** Full passes over the training corpus a run completed (from its checkpoint's data position). */
function passesOverCorpus(trainDir: string): number | null {
  const path = join(trainDir, "checkpoint", "checkpoint.json");
  if (!existsSync(path)) return null;
  // The JSON alone (not the weight blobs): the trainer's data position is `extra.trainer.data`;
  // checkpoints written before also carried a copy of it as top-level `data`.
  const json = JSON.parse(readFileSync(path, "utf8")) as { extra?: { trainer?: { data?: { epoch?: unknown } } }; data?: { epoch?: unknown } };
  const epoch = json.extra?.trainer?.data?.epoch ?? json.data?.epoch;
  return typeof epoch === "number" ? epoch : null;
}

/** The shipped generate model under models/ (`<id>/<version>/manifest.json`, newest version), if any. */
export async function shippedGenerateModel(root = "models"): Promise<string | null> {
  if (!existsSync(root)) return null;
  const dirs = async (d: string) => (await readdir(d, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => join(d, e.name)).sort();
  const isGenerate = (d: string) => {
    const m = join(d, "manifest.json");
    return existsSync(m) && (JSON.parse(readFileSync(m, "utf8")) as { task?: string }).task === "generate";
  };
  for (const id of await dirs(root)) {
    const versions = (await dirs(id)).filter(isGenerate).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    if (versions.length > 0) return versions[versions.length - 1];
  }
  return null;
}

async function steps(w: ExperimentContext): Promise<ExperimentBody> {
  const s = w.scale;
  let artifact = w.artifact ?? (s.name === "cpu" ? await shippedGenerateModel() : null);
  let data = "rocstories";
  if (!artifact) {
    const r: RunSpec = { task: "generate", data: "wikipedia", config: 1, norm: "data", alpha: 0.01, length: s.shortLength };
    artifact = await ensureArtifact(w, r);
    data = "wikipedia";
  } else {
    // The data the artifact was trained on, from its training command (default ROCStories).
    if (!existsSync(join(artifact, "manifest.json"))) throw new Error(`--artifact ${artifact}: no manifest.json (not an artifact folder)`);
    const m = JSON.parse(readFileSync(join(artifact, "manifest.json"), "utf8")) as { task?: string; training?: { command?: string } };
    if (m.task !== "generate") throw new Error(`--artifact ${artifact}: a ${String(m.task)} model; the steps experiment sweeps a generate model`);
    const hit = /--data[ =](\S+)/.exec(m.training?.command ?? "");
    if (hit) data = hit[1];
  }
  const results: (Uncond & { sampler: string; steps: number; msPerSampleBatched: number; latencyMs: number })[] = [];
  const latencyDir = join(w.dir, "steps-latency", artifact.replace(/[^A-Za-z0-9]+/g, "-"));
  await mkdir(latencyDir, { recursive: true });
  for (const sampler of s.samplerSweep) {
    for (const n of s.stepSweep) {
      const r = await evalArtifact(w, artifact, data, join(latencyDir, "eval"), { steps: n, sampler });
      // Latency of one request of one sample (what a single /generate call waits), median of 3.
      const latFile = join(latencyDir, `${sampler}-s${n}.json`);
      let latencyMs: number;
      if (existsSync(latFile)) latencyMs = (JSON.parse(readFileSync(latFile, "utf8")) as { latencyMs: number }).latencyMs;
      else {
        const times = [];
        for (let k = 0; k < 3; k++) times.push((await sampleArtifact({ artifactDir: artifact, n: 1, steps: n, sampler: sampler as SamplerKind, seed: k })).seconds * 1000);
        latencyMs = times.sort((a, b) => a - b)[1];
        await writeFileAtomic(latFile, JSON.stringify({ latencyMs, times }));
      }
      results.push({ sampler, steps: n, ...uncond(r), msPerSampleBatched: r.sampling.secondsPerSample * 1000, latencyMs });
    }
  }
  await mkdir(w.reportsDir, { recursive: true });
  const plots: string[] = [];
  const rel = (p: string) => p.slice(w.reportsDir.length + 1);
  for (const [metric, label] of [["mauve", "MAUVE"], ["ppl", "PPL (reference LM)"], ["latencyMs", "latency of one sample (ms)"]] as const) {
    const chart = await writeLineChart(join(w.reportsDir, `steps-${metric}`), {
      title: `${label} vs denoising steps`,
      xLabel: "denoising steps",
      yLabel: label,
      logX: true,
      series: s.samplerSweep.map((sampler) => ({
        name: sampler,
        points: results.filter((r) => r.sampler === sampler && r[metric] !== null).map((r) => [r.steps, r[metric] as number] as const),
      })),
    });
    plots.push(rel(chart.svgPath), ...(chart.pngPath ? [rel(chart.pngPath)] : []));
  }
  const reading: string[] = [];
  for (const sampler of s.samplerSweep) {
    const rs = results.filter((r) => r.sampler === sampler && r.mauve !== null);
    if (rs.length === 0) continue;
    const best = Math.max(...rs.map((r) => r.mauve!));
    const enough = rs.find((r) => r.mauve! >= best - 0.02)!;
    reading.push(`${sampler}: MAUVE is within 0.02 of its best (${best.toFixed(3)}) from ${enough.steps} steps on, at ${enough.latencyMs.toFixed(0)} ms for one sample.`);
  }
  const withPpl = results.filter((r) => r.ppl !== null && r.div !== null);
  if (withPpl.length > 0) {
    const low = withPpl.reduce((a, b) => (b.ppl! < a.ppl! ? b : a));
    const maxDiv = Math.max(...withPpl.map((r) => r.div!));
    if (low.div! < maxDiv - 0.05) {
      reading.push(
        `The lowest PPL (${low.ppl!.toFixed(1)}, ${low.sampler} at ${low.steps} steps) comes with the lowest diversity (Div ${low.div!.toFixed(3)} vs up to ${maxDiv.toFixed(3)}): too few steps give blander, more repetitive samples that the reference LM finds likelier — read PPL together with Div and MAUVE.`,
      );
    }
  }
  const same = s.stepSweep.filter((n) => {
    const a = results.find((r) => r.sampler === "ddim" && r.steps === n);
    const b = results.find((r) => r.sampler === "ode" && r.steps === n);
    return a && b && a.ppl === b.ppl && a.div === b.div && a.mauve === b.mauve;
  });
  if (same.length > 0) {
    reading.push(
      `ode and ddim give the same samples at ${same.join(", ")} steps: by design, an ODE step whose stiffness β(t)·Δt/σ² exceeds 0.5 uses the exact DDIM transition instead of an unstable Euler step (core/src/sampler.ts), and with few steps every step is that stiff.`,
    );
  }
  reading.push("The preprint discusses ~100 steps; the server's `steps` parameter trades exactly this quality for latency.");
  return {
    setting: { scale: s.name, artifact, data, samples: s.samples, stepSweep: s.stepSweep, samplerSweep: s.samplerSweep, seed: 0, referenceLm: s.reflm },
    results,
    table: {
      columns: ["sampler", "steps", "MAUVE", "PPL", "Div", "ms/sample (batched)", "ms, one sample"],
      rows: results.map((r) => [r.sampler, String(r.steps), r.mauve, r.ppl, r.div, r.msPerSampleBatched, r.latencyMs]),
    },
    preprint: null,
    reading,
    notes: [...baseNotes(w), "Latency: sampling only (no HTTP), CPU, one ONNX Runtime thread, on a shared machine."],
    plots,
  };
}

export const EXPERIMENT_BODIES: Record<ExperimentName, (w: ExperimentContext) => Promise<ExperimentBody>> = { table1, table2, fig1, table3, table4, steps };
