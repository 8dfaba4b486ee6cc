// `npm run playground:screenshot`: docs/playground.png taken against the shipped models (models/),
// served by the real server on loopback, through the page in headless Chromium (Debian's chromium).
// The playground's tests take their screenshots against random tiny models; this one shows what a
// user of `npm start` sees. Written to a temporary file, then renamed.
import { renameSync, rmSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSettings, startServer } from "@ldtext/server";
import { CHROMIUM, launchHeadlessChromium } from "../src/chromium.ts";

const TARGET = new URL("../../../docs/playground.png", import.meta.url).pathname;
const MODELS = process.env.MODELS_DIR ?? new URL("../../../models", import.meta.url).pathname;
// A news-style document (written for this screenshot, not taken from a corpus).
const DOC =
  "The town council approved a plan on Tuesday to rebuild the old stone bridge that the spring floods damaged.\n" +
  "Work will start in May, take about a year, and cost less than a new crossing downstream.\n" +
  "Ferries will run in the meantime, the council said, and residents will be able to comment on the design.";

const srv = await startServer(loadSettings({ PORT: "0", HOST: "127.0.0.1", MODELS_DIR: MODELS, LOG_LEVEL: "silent", WORKERS: "1", EP: "cpu", MODEL_POLL_MS: "0", STREAM_EVERY: "5" }));
await srv.loaded;
const profile = mkdtempSync(join(tmpdir(), "ldtext-chromium-"));
const ctx = await launchHeadlessChromium(profile, process.env.CHROMIUM ?? CHROMIUM);
try {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  await page.goto(`${srv.url}/playground`);
  await page.waitForSelector('body[data-state="idle"]', { timeout: 30_000 });
  await page.locator("#task-summarize").check();
  await page.locator("#document").fill(DOC);
  await page.locator("#steps").fill("50");
  await page.locator("#n").fill("2");
  await page.locator("#seed").fill("7");
  await page.locator("#sampler").selectOption("ddim");
  await page.locator("#run").click();
  await page.waitForSelector('body[data-state="done"]', { timeout: 120_000 });
  await page.waitForTimeout(300); // the progress bar's width transition
  const tmp = `${TARGET}.${process.pid}.tmp.png`;
  await page.screenshot({ path: tmp, fullPage: true });
  if (statSync(tmp).size < 10_000) throw new Error("the screenshot is suspiciously small");
  renameSync(tmp, TARGET);
  process.stdout.write(`${TARGET}: ${(await page.locator("#output .sample").allTextContents()).join(" | ")}\n`);
} finally {
  await ctx.close();
  await srv.shutdown();
  rmSync(profile, { recursive: true, force: true });
}
