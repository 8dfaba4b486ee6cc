// `npm run profile:denoiser -- --checkpoint <dir> [--data rocstories] [--examples 32] [--out <file>]`:
// the denoiser profile (denoiser-profile.ts) of a checkpoint's EMA weights on validation
// texts — a human table, one JSON line, and with --out a line chart (SVG + PNG) and the JSON.
import { parseArgs } from "node:util";
import { CompactTokenizer, loadCheckpoint, writeFileAtomic } from "@ldtext/core";
import { writeLineChart } from "@ldtext/charts";
import { buildNetworks, initBackend, loadCorpus, tokenizeSplit } from "@ldtext/training";
import { denoiserProfile } from "./denoiser-profile.ts";

const USAGE = "usage: npm run profile:denoiser -- --checkpoint <run dir or checkpoint dir> [--data rocstories|path] [--examples 32] [--ts 0.05,0.1,...] [--out <path without extension>]\n";

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: { checkpoint: { type: "string" }, data: { type: "string" }, examples: { type: "string" }, ts: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (v.help || !v.checkpoint) {
    process.stderr.write(USAGE);
    process.exit(v.help ? 0 : 2);
  }
  const examples = Number(v.examples ?? 32);
  const ts = (v.ts ?? "0.05,0.1,0.15,0.2,0.3,0.4,0.5,0.7,0.9").split(",").map(Number);
  if (!Number.isInteger(examples) || examples < 1 || ts.some((t) => !Number.isFinite(t))) {
    process.stderr.write(`error: --examples needs a positive integer and --ts numbers\n${USAGE}`);
    process.exit(2);
  }
  await initBackend("auto", { log: null });
  const ck = await loadCheckpoint(v.checkpoint);
  const data = v.data ?? (ck.trainConfig.data as string | undefined);
  if (!data) throw new Error("the checkpoint names no corpus: pass --data");
  const tok = CompactTokenizer.fromJSON(ck.vocabulary);
  const corpus = await loadCorpus("generate", data, { maxTrain: 1 });
  const split = tokenizeSplit(tok, corpus.validation.slice(0, examples), ck.modelConfig.maxLen);
  const nets = buildNetworks(ck.modelConfig, ck.ema ?? ck.weights, ck.norm);
  const rows = denoiserProfile(nets, split.tokens, { ts });
  nets.dispose();
  const L = ck.modelConfig.maxLen;
  process.stdout.write(`denoiser profile of ${ck.dir} (step ${ck.step}, ${split.count} validation texts, EMA weights)\n`);
  process.stdout.write("     t |     SNR | 1-step acc | DDIM acc (steps) | first text after DDIM\n");
  for (const r of rows) {
    process.stdout.write(`${r.t.toFixed(2).padStart(6)} | ${r.snr.toFixed(4).padStart(7)} | ${(100 * r.oneStepAccuracy).toFixed(1).padStart(8)} % | ${(100 * r.ddimAccuracy).toFixed(1).padStart(6)} % (${String(r.ddimSteps).padStart(3)})    | ${tok.decodeSample(r.firstIds.subarray(0, L)).slice(0, 90)}\n`);
  }
  process.stdout.write(`reference: ${tok.decodeSample(split.tokens.subarray(0, L)).slice(0, 90)}\n`);
  const json = { checkpoint: ck.dir, step: ck.step, examples: split.count, rows: rows.map(({ firstIds, ...r }) => ({ ...r, firstText: tok.decodeSample(firstIds) })) };
  tok.free();
  process.stdout.write(`${JSON.stringify(json)}\n`);
  if (v.out) {
    await writeFileAtomic(`${v.out}.json`, JSON.stringify(json, null, 2));
    await writeLineChart(v.out, {
      title: `Denoiser profile, step ${ck.step}: token accuracy of Dec(x̂0) from x_t`,
      xLabel: "t (noise level of the starting point)",
      yLabel: "token accuracy",
      series: [
        { name: "one denoiser call", points: rows.map((r) => [r.t, r.oneStepAccuracy] as const) },
        { name: "DDIM from t", points: rows.map((r) => [r.t, r.ddimAccuracy] as const) },
      ],
    });
    process.stderr.write(`wrote ${v.out}.json, .svg, .png\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exit(1);
});
