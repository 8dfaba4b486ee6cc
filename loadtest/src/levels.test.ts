// The npm runner's constant-arrival-rate (levels.ts, run-loadtest.ts) against a real HTTP server on
// loopback whose answers take a set time: arrivals without a free VU are dropped and counted,
// levels start on schedule after their drain gap, timeouts fail, and seeds vary between runs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { planScenarios, type GenerateBody } from "../k6/lib/shared.js";
import { runLevel } from "./levels.ts";
import { runLoadtest } from "./run-loadtest.ts";
import { seedFrom } from "./run-options.ts";

let server: Server;
let url: string;
let delayMs = 0;
let cached = false;
const seen: { at: number; body: GenerateBody }[] = [];

before(async () => {
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      seen.push({ at: performance.now(), body: JSON.parse(raw) as GenerateBody });
      setTimeout(() => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ texts: ["a story"], cached }));
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((r) => server.close(() => r())));

const spec = (rate: number, seconds: number, vus: number) => ({ name: `generate_steady_${rate}rps`, key: `generate-steady-${rate}`, route: "generate" as const, load: "steady" as const, rate, startSeconds: 0, seconds, vus });

test("too few VUs: arrivals with none free are dropped and counted, never sent late", async () => {
  delayMs = 350;
  const { level } = await runLevel({ url, spec: spec(10, 1, 1), seed: 1, documents: [], timeoutSeconds: 5, steps: null });
  assert.equal(level.offered, 10);
  assert.equal(level.sent + level.dropped, 10);
  assert.ok(level.dropped >= 5 && level.sent >= 2, `sent ${level.sent}, dropped ${level.dropped}`);
  assert.equal(level.failed, 0);
  assert.ok(level.achievedRps <= level.rate);
});

test("enough VUs (rate × timeout + 1): nothing dropped; a response after the timeout is a failure", async () => {
  delayMs = 50;
  const ok = await runLevel({ url, spec: spec(10, 1, 11), seed: 1, documents: [], timeoutSeconds: 1, steps: 10 });
  assert.deepEqual([ok.level.sent, ok.level.dropped, ok.level.failed], [10, 0, 0]);
  assert.equal(ok.level.checksPassed, 30);
  delayMs = 400;
  const slow = await runLevel({ url, spec: spec(4, 1, 5), seed: 1, documents: [], timeoutSeconds: 0.2, steps: 10 });
  assert.deepEqual([slow.level.sent, slow.level.failed, slow.level.ok], [4, 4, 0]);
  assert.ok(slow.latencies.every((ms) => ms >= 190 && ms < 400));
});

test("a cached answer fails its check and is counted", async () => {
  delayMs = 0;
  cached = true;
  const { level } = await runLevel({ url, spec: spec(5, 1, 6), seed: 1, documents: [], timeoutSeconds: 1, steps: 10 });
  cached = false;
  assert.equal(level.cached, 5);
  assert.equal(level.checksPassed, 10);
});

test("levels run on the plan's schedule: the next starts a drain gap after the last one ended", async () => {
  delayMs = 20;
  seen.length = 0;
  const overrides = { steadyRates: [4, 8], rampRates: [], steadySeconds: 1, drainSeconds: 1, timeoutSeconds: 1, steps: 25, warmupRequests: 3 };
  const planned = planScenarios("smoke", ["generate"], overrides);
  assert.deepEqual(planned.plan.map((s) => s.startSeconds), [0, 2]);
  const summary = await runLoadtest({ url, profile: "smoke", routes: ["generate"], overrides, documents: [], maxRequests: 100, maxSeconds: 60, seed: 1 });
  assert.deepEqual(summary.levels.map((l) => [l.key, l.offered, l.sent, l.dropped]), [["generate-steady-4", 4, 4, 0], ["generate-steady-8", 8, 8, 0]]);
  assert.equal(seen.length, 3 + 4 + 8, "3 warm-up requests, not measured, before the levels");
  const measured = seen.slice(3);
  const t0 = measured[0].at;
  const gaps = measured.map((s) => s.at - t0);
  assert.ok(gaps[3] < 1000 && gaps[4] >= 1900, `level 2 begins after level 1's second and the 1 s drain: ${gaps.map((g) => g.toFixed(0)).join(",")}`);
  assert.ok(seen.every((s) => s.body.steps === 25));
  for (const l of summary.levels) assert.ok(l.achievedRps <= l.rate);
  assert.equal(summary.tool, "node");
  assert.equal(summary.seed, 1);
  assert.equal(summary.pass, true);
});

test("seeds: fresh per run unless given; the same seed sends the same bodies", async () => {
  assert.notEqual(seedFrom(undefined), seedFrom(undefined));
  assert.equal(seedFrom("42"), 42);
  delayMs = 0;
  const bodies = async (seed: number) => {
    seen.length = 0;
    await runLoadtest({ url, profile: "smoke", routes: ["generate"], overrides: { steadyRates: [10], rampRates: [], steadySeconds: 0.5, timeoutSeconds: 1, warmupRequests: 0 }, documents: [], maxRequests: 100, maxSeconds: 60, seed });
    return seen.map((s) => s.body.seed);
  };
  const a = await bodies(42);
  const b = await bodies(42);
  const c = await bodies(seedFrom(undefined));
  assert.equal(a.length, 5);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test("the npm runner sends the k6 scripts' bodies: requestRng(seed, level, i)", async () => {
  delayMs = 0;
  seen.length = 0;
  await runLevel({ url, spec: spec(10, 0.5, 11), seed: 99, documents: [], timeoutSeconds: 1, steps: null });
  const { makeBody, requestRng } = await import("../k6/lib/shared.js");
  const expected = Array.from({ length: 5 }, (_, i) => makeBody("generate", requestRng(99, "generate-steady-10", i)));
  assert.deepEqual(seen.map((s) => s.body).sort((a, b) => a.seed - b.seed), expected.sort((a, b) => a.seed - b.seed));
});
