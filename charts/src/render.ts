// Vega-Lite → Vega → SVG string, headless: a View with renderer "none" and `toSVG()` needs no canvas.
import { compile, type TopLevelSpec } from "vega-lite";
import { parse, View } from "vega";
import { lineChartToVegaLite, scatterChartToVegaLite } from "./vega-specs.ts";
import type { LineChartSpec, ScatterChartSpec } from "./types.ts";

export async function renderVegaLiteSvg(vlSpec: TopLevelSpec): Promise<string> {
  const { spec } = compile(vlSpec);
  const view = new View(parse(spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

// async so that bad input always surfaces as a rejected promise, never a synchronous throw.
export async function renderLineChartSvg(spec: LineChartSpec): Promise<string> {
  return renderVegaLiteSvg(lineChartToVegaLite(spec));
}

export async function renderScatterChartSvg(spec: ScatterChartSpec): Promise<string> {
  return renderVegaLiteSvg(scatterChartToVegaLite(spec));
}
