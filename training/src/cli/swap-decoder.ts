// `npm run ckpt:swap-decoder -- --base <run or checkpoint> --decoder-from <run or checkpoint> --out <dir> [--shared-from <ckpt>]`
// Writes <out>/checkpoint: the base run's networks with the decoder of a --decoder-only run that
// started from the same --init-from (encoders must be bit-identical; see train/swap-decoder.ts).
// Export it like any run; the result cannot be --resume'd (it has no single optimizer state).
import { parseArgs } from "node:util";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { loadCheckpoint, saveCheckpoint } from "@ldtext/core";
import { loadInitSource, priorTrainFlops, priorTrainSeconds } from "../train/init-source.ts";
import { swapDecoder } from "../train/swap-decoder.ts";

const { values } = parseArgs({ options: { base: { type: "string" }, "decoder-from": { type: "string" }, out: { type: "string" }, "shared-from": { type: "string" } } });
try {
  if (!values.base || !values["decoder-from"] || !values.out) throw new Error("usage: npm run ckpt:swap-decoder -- --base <run> --decoder-from <decoder-only run> --out <dir>");
  const target = join(values.out, "checkpoint");
  if (existsSync(target)) throw new Error(`${target} exists: choose another --out`);
  const [base, donor] = [await loadCheckpoint(values.base), await loadCheckpoint(values["decoder-from"])];
  if (donor.trainConfig.decoderOnly !== true) throw new Error(`${donor.dir} is not a --decoder-only run`);
  // The training both runs inherited is counted once: the base's --init-from (recorded in its train
  // config; a resumed run's config no longer names it, then the donor's). A donor that descends from
  // it through more --decoder-only stages counts its own stages; the encoder check in swapDecoder is
  // what guards that the two fit.
  const sharedFrom = [values["shared-from"], base.trainConfig.initFrom, donor.trainConfig.initFrom].find((p): p is string => typeof p === "string");
  if (sharedFrom === undefined) throw new Error("neither run records its --init-from: pass --shared-from <the checkpoint both started from>");
  const shared = await loadInitSource(sharedFrom);
  const { checkpoint, report } = swapDecoder(base, donor, { sec: priorTrainSeconds(shared), flops: priorTrainFlops(shared) });
  await saveCheckpoint(target, checkpoint);
  console.log(JSON.stringify({ out: target, sharedFrom, base: base.dir, baseStep: base.step, decoderFrom: donor.dir, decoderStep: donor.step, ...report }));
} catch (e) {
  console.error(`swap-decoder: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 2;
}
