// k6 load test of POST /generate: steady constant-arrival-rate levels, then a staircase
// ramping-arrival-rate to find saturation. Thresholds: failures < 1 %, p95/p99 per route.
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e PROFILE=default loadtest/k6/generate.js
// or `npm run loadtest:k6` (starts a server on loopback when no --url is given).
import { makeScript } from "./lib/k6-script.js";

const script = makeScript(["generate"], [], "generate");
export const options = script.options;
export const setup = script.setup;
export const run = script.run;
export const handleSummary = script.handleSummary;
