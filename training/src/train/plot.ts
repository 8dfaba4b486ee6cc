// The loss-curve plot (`<out>/loss.svg` and `.png`) from the JSONL log records.
import { writeLineChart } from "@ldtext/charts";
import type { LogRecord } from "./trainer.ts";
import { documentGain } from "./snr-probe.ts";

/** Window means so long runs plot ≤ ~500 points per curve. */
function downsample(points: [number, number][], max = 500): [number, number][] {
  const finite = points.filter(([, y]) => Number.isFinite(y) && y > 0);
  if (finite.length <= max) return finite;
  const w = Math.ceil(finite.length / max);
  const out: [number, number][] = [];
  for (let i = 0; i < finite.length; i += w) {
    const chunk = finite.slice(i, i + w);
    out.push([chunk[chunk.length - 1][0], chunk.reduce((a, [, y]) => a + y, 0) / chunk.length]);
  }
  return out;
}

export async function writeLossPlot(pathWithoutExt: string, records: readonly LogRecord[]): Promise<void> {
  const train = records.filter((r) => r.kind === "train");
  const val = records.filter((r) => r.kind === "val");
  if (train.length === 0) return;
  const series = [
    { name: "train L_dif", points: downsample(train.map((r) => [r.step, r.dif ?? NaN])) },
    { name: "train CE(Dec(x̂0))", points: downsample(train.map((r) => [r.step, r.ce ?? r.ceClean ?? NaN])) },
    { name: "val L_dif", points: downsample(val.map((r) => [r.step, r.dif])) },
    { name: "val CE(Dec(x̂0))", points: downsample(val.map((r) => [r.step, r.ce])) },
    { name: "val CE(Dec(x0))", points: downsample(val.map((r) => [r.step, r.reconCe])) },
  ].filter((s) => s.points.length > 0);
  await writeLineChart(pathWithoutExt, { title: "Training losses", xLabel: "step", yLabel: "loss", series, logY: true });
}

/**
 * `<out>/snr.svg`: Dec(x̂0) token accuracy at the fixed probe SNRs (one call, solid; self-conditioned,
 * "+sc") against training hours — the curves that decide recipes (snr-probe.ts).
 */
export async function writeSnrPlot(pathWithoutExt: string, records: readonly LogRecord[]): Promise<void> {
  const val = records.filter((r) => r.kind === "val" && r.snr && r.trainSec !== undefined);
  if (val.length < 2) return;
  const snrs = [...new Set(val.flatMap((r) => (r.kind === "val" ? (r.snr ?? []).map((p) => p.snr) : [])))];
  const series = snrs.flatMap((snr) => {
    const at = (sc: boolean): [number, number][] =>
      val.flatMap((r) => {
        if (r.kind !== "val") return [];
        const p = r.snr?.find((q) => q.snr === snr);
        return p ? [[(r.trainSec ?? 0) / 3600, 100 * (sc ? p.accSc : p.acc)] as [number, number]] : [];
      });
    return [{ name: `SNR ${snr}`, points: at(false) }, { name: `SNR ${snr} +sc`, points: at(true) }];
  });
  await writeLineChart(pathWithoutExt, { title: "Dec(x̂0) token accuracy at fixed SNR", xLabel: "training hours", yLabel: "token accuracy %", series });
}

/**
 * Per probe SNR, the accuracy points the documents add over the null condition (`snr` − `snrNull`,
 * one call) against training hours: whether a summarizer learns to read its document, which its
 * losses hide (a denoiser that ignores the condition still lowers them).
 */
export function documentGainSeries(records: readonly LogRecord[]): { name: string; points: [number, number][] }[] {
  const gains = records.flatMap((r) => (r.kind === "val" && r.snr && r.snrNull && r.trainSec !== undefined ? [{ hours: r.trainSec / 3600, gain: documentGain(r.snr, r.snrNull) }] : []));
  const snrs = [...new Set(gains.flatMap((v) => v.gain.map((g) => g.snr)))];
  return snrs.map((snr) => ({
    name: `SNR ${snr}`,
    points: gains.flatMap((v) => v.gain.filter((g) => g.snr === snr).map((g): [number, number] => [v.hours, g.points])),
  }));
}

/** `<out>/docgain.svg`: documentGainSeries, for summarize runs (nothing for generate runs). */
export async function writeDocumentGainPlot(pathWithoutExt: string, records: readonly LogRecord[]): Promise<void> {
  const series = documentGainSeries(records);
  if (series.every((s) => s.points.length < 2)) return;
  await writeLineChart(pathWithoutExt, { title: "What the documents add: token accuracy, own document − null condition", xLabel: "training hours", yLabel: "accuracy points", series });
}
