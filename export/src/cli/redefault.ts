// `npm run export:redefault -- <artifact dir> --out <dir> --version V [--clamp T] [--guidance W] [--candidates K] [--note "why"]`
// A new version with the same graphs and other served defaults (export/src/artifact/redefault.ts).
import { parseArgs } from "node:util";
import { redefaultArtifact } from "../artifact/redefault.ts";

const USAGE = 'usage: npm run export:redefault -- <artifact dir> --out <dir> --version V [--clamp T (0..1)] [--guidance W (0..100)] [--candidates K (1..16)] [--note "why"]';
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: "string" }, version: { type: "string" }, clamp: { type: "string" }, guidance: { type: "string" }, candidates: { type: "string" }, note: { type: "string" } },
});
const number = (flag: string, raw: string | undefined, max: number): number | undefined => {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === "" || !(v >= 0 && v <= max)) {
    console.error(`--${flag} needs a number in [0, ${max}], got ${raw}\n${USAGE}`);
    process.exit(2);
  }
  return v;
};
if (positionals.length !== 1 || !values.out || !values.version) {
  console.error(USAGE);
  process.exit(2);
}
try {
  const m = await redefaultArtifact(positionals[0], values.out, { version: values.version, clamp: number("clamp", values.clamp, 1), guidance: number("guidance", values.guidance, 100), candidates: number("candidates", values.candidates, 16), note: values.note });
  console.log(JSON.stringify({ id: m.id, version: m.version, sampling: m.sampling, out: values.out }));
} catch (err) {
  console.error(`export:redefault failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
