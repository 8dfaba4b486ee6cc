// A shipped artifact is enough to continue training (issue: a run that survives sessions and
// machines): train tiny → export every graph → `npm run train -- --init-from <artifact>`. The
// continued run's step-0 validation must sit where the source run ended, not where a fresh run
// starts, and an artifact without the encoder graph must be refused with a message that says why.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const root = new URL("../../../", import.meta.url).pathname;

function run(script: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", script, ...args], { cwd: root, encoding: "utf8", timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(script: string, args: string[]): string {
  const r = run(script, args);
  assert.equal(r.status, 0, `${script} ${args.join(" ")} failed:\n${r.stderr.slice(-3000)}`);
  return r.stdout;
}

interface Val { kind: string; step: number; ce: number; reconCe: number; trainSec?: number }
const vals = (out: string): Val[] =>
  readFileSync(join(out, "log.jsonl"), "utf8").split("\n").filter((l) => l.includes('"kind":"val"')).map((l) => JSON.parse(l) as Val);

test("--init-from an artifact continues the run: step-0 validation where the source ended, training seconds carried", () => {
  const dir = mkdtempSync(join(tmpdir(), "ldtext-initfrom-"));
  const data = join(dir, "data");
  mkdirSync(data);
  const who = ["Tom", "Anna", "Bob", "Lisa", "Max", "Sara"];
  const did = ["went to the store", "ate an apple", "played football", "read a book", "called a friend", "baked a cake"];
  for (const [split, n] of [["train", 240], ["validation", 16]] as const) {
    const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ text: `${who[i % 6]} ${did[(i * 5) % 6]}. It was fun.` }));
    writeFileSync(join(data, `${split}.jsonl`), `${lines.join("\n")}\n`);
  }
  const common = ["--data", data, "--preset", "tiny", "--config", "1", "--norm", "sphere", "--val-examples", "16", "--samples", "0", "--no-progress", "--backend", "wasm", "--seed", "1"];
  const src = join(dir, "src");
  ok("training/src/cli/train.ts", [...common, "--steps", "120", "--val-every", "120", "--out", src]);
  const srcVals = vals(src);
  const [fresh0, srcLast] = [srcVals[0], srcVals[srcVals.length - 1]];
  assert.ok(srcLast.ce < 0.6 * fresh0.ce, `the source run did not learn (${fresh0.ce} → ${srcLast.ce})`);

  // Without the encoder graph the artifact cannot continue training: refused, and the message says what to export.
  const partial = join(dir, "partial");
  ok("export/src/cli/export.ts", ["--checkpoint", src, "--out", partial, "--name", "ci-init", "--version", "0.0.1", "--graphs", "denoiser,decoder", "--no-verify"]);
  const refused = run("training/src/cli/train.ts", [...common, "--steps", "5", "--val-every", "5", "--init-from", partial, "--out", join(dir, "refused")]);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /lacks .* weights \(enc: .*--graphs encoder,denoiser,decoder/);

  const artifact = join(dir, "artifact");
  ok("export/src/cli/export.ts", ["--checkpoint", src, "--out", artifact, "--name", "ci-init", "--version", "0.0.2", "--no-verify"]);
  const cont = join(dir, "cont");
  ok("training/src/cli/train.ts", [...common, "--steps", "20", "--val-every", "20", "--init-from", artifact, "--out", cont]);
  const [c0, cLast] = [vals(cont)[0], vals(cont).at(-1)!];
  // The exported weights are the source's EMA (decay 0.999 over 120 steps still leans on early
  // weights), so step 0 of the continuation is near — not equal to — the source's last validation,
  // and far below a fresh start.
  assert.ok(c0.ce < 0.75 * fresh0.ce, `continued run starts like a fresh one: ce ${c0.ce} vs fresh ${fresh0.ce}`);
  assert.ok(c0.reconCe < 0.75 * fresh0.reconCe, `clean-latent CE restarted: ${c0.reconCe} vs fresh ${fresh0.reconCe}`);
  assert.ok(cLast.ce <= c0.ce * 1.05, `loss rose after continuing: ${c0.ce} → ${cLast.ce}`);
  assert.ok((c0.trainSec ?? 0) > 0, "the source's training seconds were not carried over");
});
