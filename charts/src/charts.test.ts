import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import {
  ChartInputError,
  chartFont,
  lineChartToVegaLite,
  renderLineChartSvg,
  renderScatterChartSvg,
  rasteriseSvg,
  scatterChartToVegaLite,
  svgToPng,
  writeLineChart,
  writeScatterChart,
} from "./index.ts";

type ResvgModule = typeof import("@resvg/resvg-js");
const resvg = createRequire(import.meta.url)("@resvg/resvg-js") as ResvgModule;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Text content of every <text> element (vega escapes &, <, > as entities). */
function svgTexts(svg: string): string[] {
  const unescape = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => unescape(m[1]));
}

/** Parses the SVG with resvg's strict XML parser: throws on malformed markup. */
function parseSvg(svg: string): { width: number; height: number } {
  const r = new resvg.Resvg(svg);
  return { width: r.width, height: r.height };
}

/** PNG width/height from the IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

const lineSpec = {
  title: "Training loss <tiny>",
  xLabel: "optimizer step",
  yLabel: "loss (nats)",
  series: [
    { name: "train & ema", points: [[1, 4], [10, 2.5], [100, 1.2]] as [number, number][] },
    { name: "validation", points: [[1, 4.2], [100, 1.5]] as [number, number][] },
  ],
};

describe("renderLineChartSvg", () => {
  test("produces well-formed SVG naming the title, axes and every series", async () => {
    const svg = await renderLineChartSvg(lineSpec);
    const { width, height } = parseSvg(svg);
    assert.ok(width > 300 && height > 200, `size ${width}x${height}`);
    const texts = svgTexts(svg);
    for (const want of ["Training loss <tiny>", "optimizer step", "loss (nats)", "train & ema", "validation"]) {
      assert.ok(texts.includes(want), `missing text "${want}" in ${JSON.stringify(texts)}`);
    }
    // One line path per series.
    assert.equal([...svg.matchAll(/aria-roledescription="line mark"/g)].length, 2);
  });

  test("log axes drop non-positive and non-finite points and say so", async () => {
    const svg = await renderLineChartSvg({
      ...lineSpec,
      logX: true,
      logY: true,
      series: [{ name: "a", points: [[0, 1], [1, NaN], [2, 3], [4, -1], [8, 2]] }],
    });
    assert.ok(svgTexts(svg).includes("3 points omitted (non-finite or non-positive on a log axis)"));
    const vl = lineChartToVegaLite({ ...lineSpec, logX: true });
    assert.match(JSON.stringify(vl), /"type":"log"/);
  });

  test("rejects empty series lists and duplicate names with a clear error", async () => {
    await assert.rejects(renderLineChartSvg({ ...lineSpec, series: [] }), ChartInputError);
    await assert.rejects(
      renderLineChartSvg({ ...lineSpec, series: [{ name: "x", points: [] }, { name: "x", points: [] }] }),
      /duplicate series name "x"/,
    );
  });
});

describe("renderScatterChartSvg", () => {
  test("draws labelled points for latency vs throughput", async () => {
    const svg = await renderScatterChartSvg({
      title: "Latency vs throughput",
      xLabel: "samples/s",
      yLabel: "p95 latency (ms)",
      series: [
        { name: "batched", points: [{ x: 5, y: 100, label: "c=1" }, { x: 30, y: 180, label: "c=8" }, { x: 60, y: 400, label: "c=32" }] },
        { name: "no batching", points: [{ x: 5, y: 100, label: "c=1" }, { x: 8, y: 900, label: "c=8" }] },
      ],
    });
    parseSvg(svg);
    const texts = svgTexts(svg);
    for (const want of ["Latency vs throughput", "samples/s", "p95 latency (ms)", "batched", "no batching", "c=1", "c=8", "c=32"]) {
      assert.ok(texts.includes(want), `missing text "${want}"`);
    }
  });
});

describe("scatter legend columns", () => {
  test("legendColumns wraps a long legend into rows: the chart stays near the plot's width", async () => {
    const series = Array.from({ length: 10 }, (_, i) => ({ name: `series number ${i}`, points: [{ x: i + 1, y: 10 * (i + 1) }] }));
    const spec = { title: "t", xLabel: "x", yLabel: "y", series };
    const layers = (scatterChartToVegaLite({ ...spec, legendColumns: 5 }) as { layer: { encoding: { color: { legend: unknown } } }[] }).layer;
    assert.deepEqual(layers[0].encoding.color.legend, { orient: "bottom", columns: 5 });
    const width = (svg: string) => Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)![1]);
    const oneRow = await renderScatterChartSvg(spec);
    const wrapped = await renderScatterChartSvg({ ...spec, legendColumns: 5 });
    parseSvg(wrapped);
    assert.ok(width(wrapped) < width(oneRow), `${width(wrapped)} vs ${width(oneRow)}`);
    assert.ok(svgTexts(wrapped).includes("series number 9"));
  });
});

describe("line legend columns", () => {
  test("legendColumns wraps a line chart's long legend into rows too", async () => {
    const series = Array.from({ length: 8 }, (_, i) => ({ name: `probe series ${i}`, points: [[0, i], [1, i + 1]] as [number, number][] }));
    const spec = { title: "t", xLabel: "x", yLabel: "y", series };
    const enc = (lineChartToVegaLite({ ...spec, legendColumns: 4 }) as { encoding: { color: { legend: unknown } } }).encoding;
    assert.deepEqual(enc.color.legend, { orient: "bottom", columns: 4 });
    const width = (svg: string) => Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)![1]);
    const wrapped = await renderLineChartSvg({ ...spec, legendColumns: 4 });
    assert.ok(width(wrapped) < width(await renderLineChartSvg(spec)));
    assert.ok(svgTexts(wrapped).includes("probe series 7"));
  });
});

describe("PNG output", () => {
  test("text renders: a text-only SVG rasterises to dark pixels", async () => {
    // The packaged DejaVu Sans, so PNG text does not depend on the machine's fonts.
    assert.equal(chartFont()?.family, "DejaVu Sans");
    assert.match(chartFont()!.files[0], /dejavu-fonts-ttf[/\\]ttf[/\\]DejaVuSans\.ttf$/);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><text x="5" y="28" font-family="sans-serif" font-size="24" fill="black">Hello</text></svg>`;
    const countDark = (px: Buffer) => {
      let dark = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] < 128) dark++;
      return dark;
    };
    const withText = await rasteriseSvg(svg, 1);
    assert.ok(countDark(withText.pixels) > 50, `only ${countDark(withText.pixels)} dark pixels: text did not render`);
    // Control: the same SVG without its text is blank, so the dark pixels above are the glyphs.
    const blank = await rasteriseSvg(svg.replace("Hello", ""), 1);
    assert.equal(countDark(blank.pixels), 0);
    const png = await svgToPng(svg, 1);
    assert.deepEqual(png.data.subarray(0, 8), PNG_SIGNATURE);
    assert.deepEqual(pngSize(png.data), { width: 120, height: 40 });
  });

  test("writeLineChart and writeScatterChart write SVG + PNG atomically (no temp files left)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "charts-"));
    try {
      const line = await writeLineChart(join(dir, "sub", "loss"), lineSpec);
      assert.equal(line.svgPath, join(dir, "sub", "loss.svg"));
      assert.equal(line.pngPath, join(dir, "sub", "loss.png"));
      const svg = await readFile(line.svgPath, "utf8");
      assert.ok(svgTexts(svg).includes("validation"));
      const png = await readFile(line.pngPath!);
      assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
      const size = pngSize(png);
      assert.deepEqual(size, { width: line.pngWidth, height: line.pngHeight });
      assert.ok(size.width >= 600 && size.width <= 4000 && size.height >= 400 && size.height <= 4000, JSON.stringify(size));

      const sc = await writeScatterChart(join(dir, "lat"), {
        title: "t",
        xLabel: "x",
        yLabel: "y",
        series: [{ name: "s", points: [{ x: 1, y: 2, label: "a" }] }],
      });
      assert.deepEqual((await readFile(sc.pngPath!)).subarray(0, 8), PNG_SIGNATURE);
      assert.deepEqual((await readdir(join(dir, "sub"))).sort(), ["loss.png", "loss.svg"]);
      assert.deepEqual((await readdir(dir)).sort(), ["lat.png", "lat.svg", "sub"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
