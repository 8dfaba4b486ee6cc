// npm run loadtest:compare -- <dir>   (or --k6 <k6-summary.json> --node <loadtest-summary.json> --out <dir>)
// Reads a k6 summary and an npm-runner summary of the same plan and writes <out>/compare.md,
// <out>/compare.json and <out>/compare-latency-<route>.{svg,png} (both runners' p50 and p95).
// Exit 0 when they agree within compare.ts's TOLERANCE, 1 when not, 2 on bad input.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "@ldtext/charts";
import type { Summary } from "../k6/lib/shared.js";
import { compareSummaries, comparisonMarkdown } from "./compare.ts";
import { writeLatencyChart } from "./plot.ts";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options: { k6: { type: "string" }, node: { type: "string" }, out: { type: "string" } }, allowPositionals: true });
  const dir = positionals[0] === undefined ? undefined : resolve(positionals[0]);
  const k6Path = values.k6 ?? (dir && join(dir, "k6-summary.json"));
  const nodePath = values.node ?? (dir && join(dir, "loadtest-summary.json"));
  const out = resolve(values.out ?? dir ?? ".");
  if (!k6Path || !nodePath) {
    console.error("usage: npm run loadtest:compare -- <dir> | --k6 <k6-summary.json> --node <loadtest-summary.json> [--out <dir>]");
    return 2;
  }
  const a = JSON.parse(readFileSync(k6Path, "utf8")) as Summary;
  const b = JSON.parse(readFileSync(nodePath, "utf8")) as Summary;
  const c = compareSummaries(a, b);
  const md = comparisonMarkdown(c, a, b);
  await writeFileAtomic(join(out, "compare.md"), `${md}\n`);
  await writeFileAtomic(join(out, "compare.json"), `${JSON.stringify(c, null, 2)}\n`);
  for (const route of [...new Set(a.levels.map((l) => l.route))]) {
    const title = `${route}: latency vs offered rate, ${a.tool} and ${b.tool} (profile ${a.profile}, steps ${a.plan.steps})`;
    await writeLatencyChart([a, b], join(out, `compare-latency-${route}`), title, { routes: [route], percentiles: ["p50", "p95"] });
  }
  console.log(md);
  return c.agrees ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (err) {
  console.error(`loadtest:compare: ${(err as Error).message}`);
  process.exitCode = 2;
}
