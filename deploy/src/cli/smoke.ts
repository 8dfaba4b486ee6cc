// npx tsx deploy/src/cli/smoke.ts --url http://127.0.0.1:8080 [--task generate|summarize] [--model ID]
//   [--expect-version V] [--api-key K] [--timeout-s 300]
// Post-rollout smoke test through the SDK (see ../smoke.ts). Prints one JSON line; exit 0 = ok,
// 1 = failed or timed out, 2 = bad usage.
import { parseArgs } from "node:util";
import { smoke } from "../smoke.ts";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      url: { type: "string" },
      task: { type: "string" },
      model: { type: "string" },
      "expect-version": { type: "string" },
      "api-key": { type: "string", default: process.env.LDTEXT_API_KEY },
      "timeout-s": { type: "string", default: "300" },
    },
  });
  const task = values.task;
  const timeoutS = Number(values["timeout-s"]);
  if (values.url === undefined || (task !== undefined && task !== "generate" && task !== "summarize") || !(timeoutS > 0)) {
    console.error("usage: smoke.ts --url <server> [--task generate|summarize] [--model ID] [--expect-version V] [--api-key K] [--timeout-s N]");
    return 2;
  }
  try {
    const r = await smoke({ url: values.url, task, model: values.model, expectVersion: values["expect-version"], apiKey: values["api-key"], timeoutMs: timeoutS * 1000 });
    console.log(JSON.stringify({ ok: true, ...r }));
    return 0;
  } catch (err) {
    console.log(JSON.stringify({ ok: false, error: (err as Error).message }));
    console.error(`smoke test failed: ${(err as Error).message}`);
    return 1;
  }
}

process.exitCode = await main();
