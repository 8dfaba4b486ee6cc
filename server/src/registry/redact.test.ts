import { test } from "node:test";
import assert from "node:assert/strict";
import { publicDir, publicMessage } from "./redact.ts";

test("folders are named relative to MODELS_DIR", () => {
  assert.equal(publicDir("/srv/models", "/srv/models/gen/2"), "gen/2");
  assert.equal(publicDir("/srv/models/", "/srv/models"), ".");
  assert.equal(publicDir("/srv/models", "/elsewhere/secret/gen"), "gen");
});

test("messages lose absolute paths and checksums but keep the reason", () => {
  const sha = "ab".repeat(32);
  const msg = `/srv/models/gen/3/denoiser.onnx.data: denoiser.onnx.data fails verification: sha256 is ${sha}, the manifest says ${"cd".repeat(32)} (the file was modified or is corrupt)`;
  const out = publicMessage("/srv/models", msg);
  assert.equal(out, "gen/3/denoiser.onnx.data: denoiser.onnx.data fails verification: sha256 is <digest>, the manifest says <digest> (the file was modified or is corrupt)");
  assert.equal(publicMessage("/srv/models", "ENOENT: no such file or directory, open '/home/u/other/x.onnx'"), "ENOENT: no such file or directory, open 'x.onnx'");
  assert.equal(publicMessage("/srv/models", "steps 1/2 and ratio 3/4 stay"), "steps 1/2 and ratio 3/4 stay");
  assert.doesNotMatch(publicMessage("/srv/models", "DENOISER=int8 but /srv/models/g/1 has no denoiser_int8 graph"), /\/srv/);
});
