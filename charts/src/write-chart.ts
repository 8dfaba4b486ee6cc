// Writes `<path>.svg` and `<path>.png` for a chart; both atomically.
import { renderLineChartSvg, renderScatterChartSvg } from "./render.ts";
import { loadRasteriser, svgToPng } from "./png.ts";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { writeFileAtomic } from "@ldtext/core";
import type { LineChartSpec, ScatterChartSpec, WrittenChart } from "./types.ts";

/** Writes an already rendered SVG and its PNG (when a rasteriser exists) next to each other. */
export async function writeSvgAndPng(pathWithoutExt: string, svg: string): Promise<WrittenChart> {
  const svgPath = `${pathWithoutExt}.svg`;
  await mkdir(dirname(svgPath), { recursive: true });
  await writeFileAtomic(svgPath, svg);
  if (loadRasteriser() === null) return { svgPath };
  const png = await svgToPng(svg);
  const pngPath = `${pathWithoutExt}.png`;
  await writeFileAtomic(pngPath, png.data);
  return { svgPath, pngPath, pngWidth: png.width, pngHeight: png.height };
}

export async function writeLineChart(pathWithoutExt: string, spec: LineChartSpec): Promise<WrittenChart> {
  return writeSvgAndPng(pathWithoutExt, await renderLineChartSvg(spec));
}

export async function writeScatterChart(pathWithoutExt: string, spec: ScatterChartSpec): Promise<WrittenChart> {
  return writeSvgAndPng(pathWithoutExt, await renderScatterChartSvg(spec));
}
