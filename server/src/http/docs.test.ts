// /docs renders Swagger UI in a real headless browser with every non-local request blocked, i.e.
// offline, from the installed swagger-ui-dist files (skipped where no Chromium is installed); asset
// names that are not served — Object.prototype's among them — are 404s.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import { startTestServer, tempDir } from "../testing/fixtures.ts";
import type { RunningServer } from "../server.ts";

describe("/docs assets", () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startTestServer(tempDir());
  });
  after(async () => {
    await srv.shutdown();
  });

  test("names inherited from Object.prototype are 404, not 500", async () => {
    for (const name of ["constructor", "__proto__", "toString", "valueOf", "hasOwnProperty", "isPrototypeOf", "nope.js"]) {
      const res = await fetch(`${srv.url}/docs/${name}`);
      const body = await res.text();
      assert.equal(res.status, 404, `${name}: ${body}`);
      assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, "not_found");
      assert.doesNotMatch(body, /\//, "no path in the answer");
    }
    const metrics = await (await fetch(`${srv.url}/metrics`)).text();
    assert.doesNotMatch(metrics, /ldtext_requests_total\{[^}]*status="500"/);
  });
});

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) => existsSync(p));

describe("Swagger UI", { skip: CHROMIUM ? false : "no Chromium installed" }, () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startTestServer(tempDir()); // no model needed for the docs
  });
  after(async () => {
    await srv.shutdown();
  });

  test("renders the API offline", async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage();
      const external: string[] = [];
      await page.route("**/*", (route) => {
        const u = route.request().url();
        if (u.startsWith(srv.url) || u.startsWith("data:")) return route.continue();
        external.push(u);
        return route.abort();
      });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${srv.url}/docs`);
      await page.waitForSelector(".swagger-ui .info .title", { timeout: 15_000 });
      const title = await page.textContent(".swagger-ui .info .title");
      assert.match(title ?? "", /ldtext inference API/);
      await page.waitForSelector("text=/generate", { timeout: 5_000 });
      const ops = await page.locator(".opblock-summary-path").allTextContents();
      assert.ok(ops.some((o) => o.includes("/summarize/stream")), ops.join());
      assert.deepEqual(external, []);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});
