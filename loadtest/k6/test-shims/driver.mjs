// Loads a k6 script under Node (with hooks.mjs) and plays k6's part: setup() once, then for every
// scenario the iterations its constant-arrival-rate would start (one more at the end, as k6
// sometimes does), with the scenario's start time and iteration number, then handleSummary with
// the metrics the test passes in; prints what it saw as JSON.
// argv: <script> <config JSON: { env, metrics, response, vus }>
const [script, configJson] = process.argv.slice(2);
const config = JSON.parse(configJson);
globalThis.__ENV = config.env;
globalThis.__k6calls = [];
globalThis.__k6checks = [];
globalThis.__k6metrics = [];
globalThis.__k6response = config.response ?? { status: 200, body: JSON.stringify({ texts: ["a story"], cached: false }) };
globalThis.__k6scenario = { name: "setup", startTime: Date.now(), iterationInTest: 0 };
const { readFileSync } = await import("node:fs");
const { dirname, resolve } = await import("node:path");
globalThis.open = (p) => readFileSync(resolve(dirname(script), p), "utf8");
const logs = [];
console.log = (...a) => logs.push(a.join(" "));
const mod = await import(script);
const setupData = mod.setup();
for (const [name, sc] of Object.entries(mod.options.scenarios)) {
  const perSecond = sc.rate / Number.parseFloat(sc.timeUnit);
  const offered = Math.round(perSecond * Number.parseFloat(sc.duration));
  for (let i = 0; i <= offered; i++) {
    globalThis.__k6vu = { idInTest: (i % (config.vus ?? 2)) + 1 };
    globalThis.__k6scenario = { name, startTime: Date.now() - (i * 1000) / perSecond, iterationInTest: i };
    mod.run(setupData);
  }
}
const data = { state: { testRunDurationMs: 1000 }, setup_data: setupData, metrics: config.metrics ?? {} };
const files = mod.handleSummary(data);
const jsonFile = Object.keys(files).find((f) => f.endsWith(".json"));
process.stdout.write(JSON.stringify({ options: mod.options, setupData, logs, calls: globalThis.__k6calls, checks: globalThis.__k6checks, metrics: globalThis.__k6metrics, files: Object.keys(files), json: JSON.parse(files[jsonFile]), text: files.stdout }));
