// Loads a k6 script under Node (with hooks.mjs), runs its exec function for every scenario and
// calls handleSummary; prints what it saw as JSON.
const [script, baseUrl] = process.argv.slice(2);
globalThis.__ENV = { BASE_URL: baseUrl, PROFILE: "smoke", RESULTS_DIR: "/results", SEED: "3", API_KEY: "k" };
globalThis.__k6calls = [];
const { readFileSync } = await import("node:fs");
const { dirname, resolve } = await import("node:path");
globalThis.open = (p) => readFileSync(resolve(dirname(script), p), "utf8");
const mod = await import(script);
const calls = [];
for (const [name, sc] of Object.entries(mod.options.scenarios)) {
  // First request of each scenario, then (for ramps) one well into the last stair.
  globalThis.__k6scenario = { name, startTime: Date.now() };
  mod.run();
  if (sc.executor === "ramping-arrival-rate") {
    globalThis.__k6scenario = { name, startTime: Date.now() - 60_000 };
    mod.run();
  }
}
calls.push(...globalThis.__k6calls);
const data = { state: { testRunDurationMs: 1000 }, metrics: {} };
const files = mod.handleSummary(data);
console.log(JSON.stringify({ options: mod.options, calls, files: Object.keys(files), json: JSON.parse(files["/results/k6-" + script.match(/(\w+)\.js$/)[1] + "-summary.json"]) }));
