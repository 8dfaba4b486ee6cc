// The playground in headless Chromium against a live server (real ONNX Runtime, random-weight tiny
// models): generate and summarize through the page, the live step view, timings, Stop. The README's
// docs/playground.png is taken against the shipped models by `npm run playground:screenshot`.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { DiffusionTextClient } from "@ldtext/sdk";
import type { RunningServer } from "@ldtext/server";
import { modelsFolder, startTestServer } from "@ldtext/server/testing";
import { CHROMIUM, launchHeadlessChromium } from "./chromium.ts";
import { visible } from "./browser/visible.ts";

// The test's screenshot goes to the throwaway profile, so a test run leaves the working tree clean;
// docs/playground.png is taken against the shipped models by `npm run playground:screenshot`.
const DOC =
  "The town council approved a plan on Tuesday to rebuild the old stone bridge that the spring floods damaged. " +
  "Work will start in May, take about a year, and cost less than a new crossing downstream. Ferries will run meanwhile.";

describe("playground in headless Chromium", { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} not installed (apt-get install chromium)` }, () => {
  let srv: RunningServer;
  let ctx: BrowserContext;
  let page: Page;
  let profile: string;
  let sdk: DiffusionTextClient;

  before(async () => {
    // The Stop test's request (200 steps × 16 rows) must still be running when Stop is clicked, even
    // on a loaded CI machine, and must be admitted there (no deadline that would earn it a 429).
    srv = await startTestServer(await modelsFolder(), { STREAM_EVERY: "2", ADMISSION_DEADLINE_MS: "0" });
    sdk = new DiffusionTextClient({ baseUrl: srv.url });
    profile = mkdtempSync(join(tmpdir(), "ldtext-chromium-"));
    ctx = await launchHeadlessChromium(profile);
    page = ctx.pages()[0] ?? (await ctx.newPage());
  });
  after(async () => {
    await ctx?.close();
    await srv?.shutdown();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  const texts = () => page.locator("#output .sample").allTextContents();
  // On a timeout, say which state and status line the page was left in (an error instead of idle, …).
  const waitState = async (state: string) => {
    try {
      await page.waitForSelector(`body[data-state="${state}"]`, { timeout: 30_000 });
    } catch (err) {
      const now = await page.evaluate(() => `${document.body.dataset.state ?? "?"}: ${document.getElementById("status")?.textContent ?? ""}`);
      throw new Error(`waiting for state ${state}, the page is ${now}`, { cause: err });
    }
  };

  test("the page loads its bundle under the server's CSP and shows the server's state", async () => {
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    const res = await page.goto(`${srv.url}/playground`);
    assert.equal(res?.status(), 200);
    await waitState("idle");
    assert.equal(await page.locator("#health").textContent(), "ready");
    assert.match((await page.locator("#models").textContent()) ?? "", /tiny-generate@1 \(generate, cpu\)/);
    assert.equal(await page.locator("#steps").getAttribute("max"), "200", "slider bound read from /openapi.json");
    assert.deepEqual(errors, []);
  });

  test("generate: the text forms step by step and the final text is the server's", async () => {
    await page.locator("#steps").fill("12");
    await page.locator("#seed").fill("7");
    await page.locator("#sampler").selectOption("sde");
    await page.locator("#n").fill("2");
    await page.locator("#run").click();
    await waitState("done");
    const expected = await sdk.generate({ steps: 12, seed: 7, sampler: "sde", n: 2 });
    assert.deepEqual(await texts(), expected.texts.map(visible));
    const log = await page.locator("#steps-log li").allTextContents();
    assert.ok(log.length >= 5, `step events shown: ${log.length}`);
    assert.match(log[0], /^step 2\/12 · \d+ ms · /);
    assert.match((await page.locator('#timings tr[data-key="server inference"]').textContent()) ?? "", /\d+\.\d ms/);
    assert.match((await page.locator('#timings tr[data-key="seed"]').textContent()) ?? "", /7/);
    assert.match((await page.locator("#status").textContent()) ?? "", /Done: 12 steps/);
    assert.equal(await page.locator('#timings tr[data-key="clamping"] td:nth-child(2)').textContent(), "off");

    // The clamping slider: its value reaches the request (the texts are the server's for that clamp).
    await page.locator("#clamp").fill("0.5");
    assert.equal(await page.locator("#clamp-value").textContent(), "0.5");
    await page.locator("#run").click();
    await waitState("done");
    const clamped = await sdk.generate({ steps: 12, seed: 7, sampler: "sde", n: 2, clamp: 0.5 });
    assert.deepEqual(await texts(), clamped.texts.map(visible));
    assert.equal(await page.locator('#timings tr[data-key="clamping"] td:nth-child(2)').textContent(), "t ≤ 0.5");
    await page.locator("#clamp").fill("0");
  });

  test("Stop aborts a running request", async () => {
    // Tiny models finish 200 steps in well under a second, sooner than a click can land: keep the
    // server busy with background work so the page's request is still waiting or running at Stop.
    const background = new AbortController();
    const busy = Array.from({ length: 8 }, () => sdk.generate({ steps: 200, n: 16 }, { signal: background.signal, retries: 0 }).catch(() => undefined));
    try {
      await page.locator("#steps").fill("200");
      await page.locator("#n").fill("16");
      await page.locator("#seed").fill("");
      await page.locator("#run").click();
      await waitState("running");
      await page.locator("#stop").click();
      await waitState("idle");
      assert.equal(await page.locator("#status").textContent(), "Stopped.");
    } finally {
      background.abort();
      await Promise.all(busy);
    }
  });

  test("summarize: document box and guidance, then the screenshot", async () => {
    await page.locator("#task-summarize").check();
    assert.equal(await page.locator("#run").textContent(), "Summarize");
    await page.locator("#run").click();
    await waitState("error");
    assert.match((await page.locator("#status").textContent()) ?? "", /Paste a document/);

    await page.locator("#document").fill(DOC);
    await page.locator("#guidance").fill("2");
    await page.locator("#steps").fill("20");
    await page.locator("#n").fill("2");
    await page.locator("#seed").fill("3");
    await page.locator("#sampler").selectOption("ddim");
    await page.locator("#run").click();
    await waitState("done");
    const expected = await sdk.summarize({ document: DOC, guidance: 2, steps: 20, n: 2, seed: 3, sampler: "ddim" });
    assert.deepEqual(await texts(), expected.texts.map(visible));
    assert.match((await page.locator('#timings tr[data-key="document"]').textContent()) ?? "", /\d+ tokens/);
    assert.match((await page.locator('#timings tr[data-key="guidance"]').textContent()) ?? "", /2/);
    assert.match((await page.locator('#timings tr[data-key="candidates"]').textContent()) ?? "", new RegExp(String(expected.candidates)));

    await page.waitForTimeout(300); // the progress bar's width transition
    const target = join(profile, "playground.png");
    const tmp = `${target}.${process.pid}.tmp.png`;
    await page.screenshot({ path: tmp, fullPage: true });
    renameSync(tmp, target);
    assert.ok(statSync(target).size > 10_000, "a real screenshot");
  });
});
