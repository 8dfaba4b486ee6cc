// Public shapes of the chart specs. Plain data only, so callers (training, evaluation, load tests)
// can build them without importing vega.

/** One curve of a line chart: `[x, y]` pairs, drawn in the given order after sorting by x. */
export interface LineSeries {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ReadonlyArray<LineSeries>;
  logX?: boolean;
  logY?: boolean;
  /** Pixel size of the plotting area (defaults 640 × 360). */
  width?: number;
  height?: number;
  /** Legend entries per row (default: all in one row, which widens the chart past the plot with many series). */
  legendColumns?: number;
}

/** A labelled point, e.g. one load level: x = throughput, y = latency, label = "c=8". */
export interface ScatterPoint {
  x: number;
  y: number;
  label?: string;
}

export interface ScatterSeries {
  name: string;
  points: ReadonlyArray<ScatterPoint>;
}

export interface ScatterChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ReadonlyArray<ScatterSeries>;
  /** Join each series' points in x order (a latency/throughput curve). Default true. */
  connect?: boolean;
  logX?: boolean;
  logY?: boolean;
  width?: number;
  height?: number;
  /** Legend entries per row (default: all in one row, which widens the chart past the plot with many series). */
  legendColumns?: number;
}

export interface WrittenChart {
  svgPath: string;
  /** Absent only when no PNG rasteriser could be loaded on this platform. */
  pngPath?: string;
  pngWidth?: number;
  pngHeight?: number;
}
