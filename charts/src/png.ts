// SVG → PNG through @resvg/resvg-js (Rust resvg; its prebuilt binary ships inside per-platform npm
// packages, so it installs offline with no build step). resvg draws no text without a font, and slim
// images and CI machines often have none, so the DejaVu Sans files come from the `dejavu-fonts-ttf`
// npm package; known system fonts, then a scan of the system fonts, are the fallbacks.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { ResvgRenderOptions } from "@resvg/resvg-js";

type ResvgModule = typeof import("@resvg/resvg-js");

interface FontChoice {
  /** Regular face first; more faces (bold) may follow. */
  files: string[];
  family: string;
}

function packagedDejaVu(): FontChoice | null {
  try {
    const dir = dirname(createRequire(import.meta.url).resolve("dejavu-fonts-ttf/package.json"));
    const files = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"].map((f) => join(dir, "ttf", f)).filter((f) => existsSync(f));
    return files.length > 0 ? { files, family: "DejaVu Sans" } : null;
  } catch {
    return null;
  }
}

// resvg matches fonts by family name, so each file comes with the family it declares.
const SYSTEM_FONTS: FontChoice[] = [
  { files: ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"], family: "DejaVu Sans" },
  { files: ["/usr/share/fonts/TTF/DejaVuSans.ttf"], family: "DejaVu Sans" },
  { files: ["/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"], family: "Liberation Sans" },
  { files: ["/System/Library/Fonts/Supplemental/Arial.ttf"], family: "Arial" },
  { files: ["C:\\Windows\\Fonts\\arial.ttf"], family: "Arial" },
];

let cached: ResvgModule | null | undefined;

/** The resvg binding, or null when this platform has no prebuilt binary (then charts are SVG only). */
export function loadRasteriser(): ResvgModule | null {
  if (cached !== undefined) return cached;
  try {
    // createRequire: the binding is a CommonJS native addon.
    cached = createRequire(import.meta.url)("@resvg/resvg-js") as ResvgModule;
  } catch {
    cached = null;
  }
  return cached;
}

/**
 * The font used for PNG text, or null (then resvg scans the system fonts). `LDTEXT_CHART_FONT`
 * (a .ttf/.otf path) with `LDTEXT_CHART_FONT_FAMILY` (its family name) takes precedence.
 */
export function chartFont(): FontChoice | null {
  const override = process.env.LDTEXT_CHART_FONT;
  if (override !== undefined && override !== "") {
    if (!existsSync(override)) throw new Error(`LDTEXT_CHART_FONT=${override}: no such font file`);
    const family = process.env.LDTEXT_CHART_FONT_FAMILY;
    if (family === undefined || family === "") throw new Error("LDTEXT_CHART_FONT needs LDTEXT_CHART_FONT_FAMILY (the font's family name)");
    return { files: [override], family };
  }
  return packagedDejaVu() ?? SYSTEM_FONTS.find((f) => existsSync(f.files[0])) ?? null;
}

export interface Png {
  data: Buffer;
  width: number;
  height: number;
}

export interface Raster {
  /** RGBA, row-major, `width * height * 4` bytes. */
  pixels: Buffer;
  width: number;
  height: number;
  toPng(): Buffer;
}

/** Rasterises an SVG on a white background at `scale` × its size. */
export async function rasteriseSvg(svg: string, scale = 2): Promise<Raster> {
  const resvg = loadRasteriser();
  if (resvg === null) throw new Error("no PNG rasteriser: @resvg/resvg-js has no binary for this platform");
  const font = chartFont();
  const options: ResvgRenderOptions = {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    // Vega writes font-family="sans-serif"; map it (and the default) to the font we loaded.
    font:
      font === null
        ? { loadSystemFonts: true }
        : { loadSystemFonts: false, fontFiles: font.files, defaultFontFamily: font.family, sansSerifFamily: font.family },
    logLevel: "off",
  };
  const image = await resvg.renderAsync(svg, options);
  return { pixels: image.pixels, width: image.width, height: image.height, toPng: () => image.asPng() };
}

export async function svgToPng(svg: string, scale = 2): Promise<Png> {
  const raster = await rasteriseSvg(svg, scale);
  return { data: raster.toPng(), width: raster.width, height: raster.height };
}
