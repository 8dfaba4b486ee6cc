import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { readArtifact } from "@ldtext/core";

const root = new URL("../../../", import.meta.url).pathname;

test("an export killed (SIGKILL) while writing leaves no artifact folder, only a hidden build folder", async () => {
  const parent = mkdtempSync(join(tmpdir(), "ldtext-interrupt-"));
  const out = join(parent, "model");
  // `small` + int8 takes seconds to write, so the kill lands mid-write
  const child = spawn(process.execPath, ["--import", "tsx", "export/src/cli/export.ts", "--random", "1", "--preset", "small", "--task", "summarize", "--quantize", "int8", "--no-verify", "--out", out], { cwd: root, stdio: "ignore" });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let building = false;
  for (let i = 0; i < 3000 && !building && child.exitCode === null; i++) {
    building = readdirSync(parent).some((n) => n.startsWith(".model.build-") && readdirSync(join(parent, n)).length > 0);
    if (!building) await sleep(10);
  }
  assert.ok(building, "the export finished or failed before its build folder had any file");
  child.kill("SIGKILL");
  await exited;
  assert.ok(!existsSync(out), "a killed export left a folder at the target path");
  await assert.rejects(readArtifact(out), /cannot read the manifest/);
  assert.ok(readdirSync(parent).every((n) => n.startsWith(".")), "only hidden build leftovers may remain");
});
