export type { LineChartSpec, LineSeries, ScatterChartSpec, ScatterPoint, ScatterSeries, WrittenChart } from "./types.ts";
export { ChartInputError, lineChartToVegaLite, scatterChartToVegaLite } from "./vega-specs.ts";
export { renderLineChartSvg, renderScatterChartSvg, renderVegaLiteSvg } from "./render.ts";
export { svgToPng, rasteriseSvg, loadRasteriser, chartFont } from "./png.ts";
export type { Png, Raster } from "./png.ts";
export { writeLineChart, writeScatterChart, writeSvgAndPng } from "./write-chart.ts";
export { writeFileAtomic } from "@ldtext/core";
