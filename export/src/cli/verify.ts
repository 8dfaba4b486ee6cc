// npm run export:verify -- <artifact dir> [--reference auto|tfjs|js] [--seed N] [--batch B] [--length L]
// Prints one JSON line (stdout) and a table (stderr); exit status 1 when any check fails.
import { parseArgs } from "node:util";
import { verifyArtifact } from "../verify/verify.ts";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      reference: { type: "string", default: "auto" },
      seed: { type: "string", default: "1234" },
      batch: { type: "string", default: "2" },
      length: { type: "string" },
    },
  });
  if (positionals.length !== 1) {
    console.error("usage: npm run export:verify -- <artifact dir> [--reference auto|tfjs|js] [--seed N] [--batch B] [--length L]");
    return 2;
  }
  const reference = values.reference;
  if (reference !== "auto" && reference !== "tfjs" && reference !== "js") {
    console.error(`--reference must be auto, tfjs or js (got ${reference})`);
    return 2;
  }
  try {
    const report = await verifyArtifact(positionals[0], {
      reference,
      seed: Number(values.seed),
      batch: Number(values.batch),
      ...(values.length ? { length: Number(values.length) } : {}),
      onGraph: (role, g, done, total) => console.error(`[${done}/${total}] ${role}: max abs err ${g.maxAbsErr.toExponential(2)} (bound ${g.bound.toExponential(2)}) ${g.ok ? "ok" : "FAIL"}`),
    });
    console.log(JSON.stringify(report));
    if (report.referenceNote) console.error(`NOTE: ${report.referenceNote}`);
    console.error(`reference: ${report.reference}   shapes: ${JSON.stringify(report.shapes)}`);
    console.error("graph            precision  maxAbsErr    bound       result");
    for (const [name, g] of Object.entries(report.graphs)) {
      console.error(`${name.padEnd(16)} ${g.precision.padEnd(10)} ${g.maxAbsErr.toExponential(2).padEnd(12)} ${g.bound.toExponential(2).padEnd(11)} ${g.ok ? "ok" : "FAIL"}${g.idsAgree !== undefined ? `  (ids agree ${(100 * g.idsAgree).toFixed(1)} %${g.prefixLengths ? ` at T = ${g.prefixLengths.join(", ")}` : ""}${g.positions ? ` over ${g.positions} cached steps` : ""})` : ""}${g.via ? `  (checked through ${g.via})` : ""}`);
    }
    return report.ok ? 0 : 1;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.log(JSON.stringify({ ok: false, artifact: positionals[0], error: message }));
    console.error(`verify failed: ${message}`);
    return 1;
  }
}

process.exitCode = await main();
