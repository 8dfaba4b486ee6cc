// k6 load test of POST /summarize with XSum documents from the committed sample
// (loadtest/fixtures/xsum-sample.json): steady levels, then a staircase ramp to saturation.
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e PROFILE=default loadtest/k6/summarize.js
import { makeScript } from "./lib/k6-script.js";

// open() runs in the init context, relative to this script.
const documents = JSON.parse(open("../fixtures/xsum-sample.json")).documents.map((d) => d.document);
const script = makeScript(["summarize"], documents, "summarize");
export const options = script.options;
export const setup = script.setup;
export const run = script.run;
export const handleSummary = script.handleSummary;
