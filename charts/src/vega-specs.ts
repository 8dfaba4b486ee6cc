// Turns our plain chart specs into Vega-Lite specs. Kept free of rendering so it can be tested alone.
import type { TopLevelSpec } from "vega-lite";
import type { LineChartSpec, ScatterChartSpec } from "./types.ts";

interface Row {
  series: string;
  x: number;
  y: number;
  label: string;
}

export class ChartInputError extends Error {
  override name = "ChartInputError";
}

/** Keeps finite points (and positive ones on a log axis); counts what it had to drop. */
function usable(x: number, y: number, logX: boolean, logY: boolean): boolean {
  if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
  if (logX && x <= 0) return false;
  if (logY && y <= 0) return false;
  return true;
}

function checkCommon(spec: { title: string; series: ReadonlyArray<{ name: string }> }): void {
  if (typeof spec.title !== "string") throw new ChartInputError("chart title must be a string");
  if (!Array.isArray(spec.series) || spec.series.length === 0) {
    throw new ChartInputError(`chart "${spec.title}": series must be a non-empty array`);
  }
  const names = new Set<string>();
  for (const s of spec.series) {
    if (typeof s.name !== "string" || s.name.length === 0) {
      throw new ChartInputError(`chart "${spec.title}": every series needs a non-empty name`);
    }
    if (names.has(s.name)) throw new ChartInputError(`chart "${spec.title}": duplicate series name "${s.name}"`);
    names.add(s.name);
  }
}

function subtitleFor(dropped: number, logX: boolean, logY: boolean): string | undefined {
  if (dropped === 0) return undefined;
  const why = logX || logY ? "non-finite or non-positive on a log axis" : "non-finite";
  return `${dropped} point${dropped === 1 ? "" : "s"} omitted (${why})`;
}

// Padding (pixels) keeps points at the ends of the data off the axis lines.
function axisScale(log: boolean): { type: "log"; padding: number } | { zero: false; padding: number } {
  return log ? { type: "log", padding: 12 } : { zero: false, padding: 12 };
}

const AXIS = { tickCount: 8, labelFlush: false } as const;

function base(spec: { title: string; width?: number; height?: number }, rows: Row[], subtitle: string | undefined) {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: subtitle === undefined ? { text: spec.title } : { text: spec.title, subtitle },
    width: spec.width ?? 640,
    height: spec.height ?? 360,
    background: "white",
    padding: 8,
    config: { font: "sans-serif" },
    data: { values: rows },
  } as const;
}

export function lineChartToVegaLite(spec: LineChartSpec): TopLevelSpec {
  checkCommon(spec);
  const logX = spec.logX === true;
  const logY = spec.logY === true;
  const rows: Row[] = [];
  let dropped = 0;
  for (const s of spec.series) {
    for (const p of s.points) {
      const [x, y] = p;
      if (usable(x, y, logX, logY)) rows.push({ series: s.name, x, y, label: "" });
      else dropped++;
    }
  }
  const seriesNames = spec.series.map((s) => s.name);
  return {
    ...base(spec, rows, subtitleFor(dropped, logX, logY)),
    mark: { type: "line", point: rows.length <= 200 },
    encoding: {
      x: { field: "x", type: "quantitative", title: spec.xLabel, scale: axisScale(logX), axis: AXIS },
      y: { field: "y", type: "quantitative", title: spec.yLabel, scale: axisScale(logY), axis: AXIS },
      color: { field: "series", type: "nominal", title: null, sort: seriesNames, legend: legendOf(spec) },
      order: { field: "x", type: "quantitative" },
    },
  } as TopLevelSpec;
}

export function scatterChartToVegaLite(spec: ScatterChartSpec): TopLevelSpec {
  checkCommon(spec);
  const logX = spec.logX === true;
  const logY = spec.logY === true;
  const rows: Row[] = [];
  let dropped = 0;
  for (const s of spec.series) {
    for (const p of s.points) {
      if (usable(p.x, p.y, logX, logY)) rows.push({ series: s.name, x: p.x, y: p.y, label: p.label ?? "" });
      else dropped++;
    }
  }
  const seriesNames = spec.series.map((s) => s.name);
  const x = { field: "x", type: "quantitative", title: spec.xLabel, scale: axisScale(logX), axis: AXIS } as const;
  const y = { field: "y", type: "quantitative", title: spec.yLabel, scale: axisScale(logY), axis: AXIS } as const;
  const legend = legendOf(spec);
  const color = { field: "series", type: "nominal", title: null, sort: seriesNames, legend } as const;
  const layers: object[] = [];
  if (spec.connect !== false) {
    layers.push({ mark: { type: "line" }, encoding: { x, y, color, order: { field: "x", type: "quantitative" } } });
  }
  layers.push({ mark: { type: "point", filled: true, size: 60, opacity: 1 }, encoding: { x, y, color } });
  layers.push({
    mark: { type: "text", align: "left", dx: 7, dy: -9, fontSize: 10 },
    encoding: { x, y, text: { field: "label", type: "nominal" }, color },
  });
  return { ...base(spec, rows, subtitleFor(dropped, logX, logY)), layer: layers } as TopLevelSpec;
}

/** The legend under the plot, wrapped into `legendColumns` entries per row when given. */
function legendOf(spec: { legendColumns?: number }): { orient: "bottom"; columns?: number } {
  return spec.legendColumns !== undefined ? { orient: "bottom", columns: spec.legendColumns } : { orient: "bottom" };
}
