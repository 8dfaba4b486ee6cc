// The document-gain curve of summarize runs: own-document minus null-condition accuracy per probe
// SNR, against training hours; written as SVG only when there are two points to join.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SnrProbe } from "@ldtext/core";
import type { LogRecord, ValRecord } from "./log.ts";
import { documentGainSeries, writeDocumentGainPlot } from "./plot.ts";

const probe = (snr: number, acc: number): SnrProbe => ({ snr, t: 0.5, dif: 0.1, acc, accSc: acc });
const val = (step: number, trainSec: number, own: number[], none?: number[]): ValRecord => ({
  kind: "val", step, dif: 0.3, ce: 2, reconCe: 0.6, reconAcc: 0.9, trainSec,
  snr: [probe(2, own[0]), probe(0.5, own[1])],
  ...(none ? { snrNull: [probe(2, none[0]), probe(0.5, none[1])] } : {}),
});

test("documentGainSeries: points of own − null accuracy per SNR against hours; generate runs give none", () => {
  const records: LogRecord[] = [val(0, 0, [0.86, 0.76], [0.85, 0.74]), val(400, 7200, [0.87, 0.8], [0.85, 0.74])];
  const series = documentGainSeries(records);
  assert.deepEqual(series.map((s) => s.name), ["SNR 2", "SNR 0.5"]);
  assert.deepEqual(series[1].points.map(([h, g]) => [h, Math.round(g * 100) / 100]), [[0, 2], [2, 6]]);
  assert.deepEqual(documentGainSeries([val(0, 0, [0.86, 0.76]), val(400, 7200, [0.87, 0.8])]), []);
});

test("writeDocumentGainPlot writes docgain.svg for a summarize log and nothing for a single validation", async () => {
  const dir = await mkdtemp(join(tmpdir(), "docgain-"));
  try {
    await writeDocumentGainPlot(join(dir, "one"), [val(0, 0, [0.86, 0.76], [0.85, 0.74])]);
    await assert.rejects(stat(join(dir, "one.svg")));
    await writeDocumentGainPlot(join(dir, "two"), [val(0, 0, [0.86, 0.76], [0.85, 0.74]), val(400, 7200, [0.87, 0.8], [0.85, 0.74])]);
    const svg = await readFile(join(dir, "two.svg"), "utf8");
    assert.match(svg, /What the documents add/);
    assert.match(svg, /SNR 0\.5/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
