import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { freePort, loopbackUrl, TargetError } from "./target.ts";
import { findOnPath, K6_MISSING } from "./k6-cli.ts";

test("loopbackUrl accepts only this machine", () => {
  for (const ok of ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:8080/", "https://127.4.5.6", "http://LOCALHOST"]) {
    assert.doesNotThrow(() => loopbackUrl(ok), ok);
  }
  for (const bad of ["http://10.0.0.1:8080", "http://example.com", "http://0.0.0.0:8080", "http://127.0.0.1.nip.io", "http://[::ffff:10.0.0.1]", "http://128.0.0.1", "ftp://127.0.0.1", "http://user:pw@127.0.0.1", "not a url"]) {
    assert.throws(() => loopbackUrl(bad), TargetError, bad);
  }
});

test("freePort gives a bindable port", async () => {
  const p = await freePort();
  assert.ok(p > 1024 && p < 65536);
});

test("npm run loadtest refuses a non-loopback --url before sending anything", () => {
  const cli = new URL("./cli.ts", import.meta.url).pathname;
  const r = spawnSync(process.execPath, ["--import", "tsx", cli, "--url", "http://192.168.1.10:8080", "--profile", "smoke"], { encoding: "utf8" });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /refusing non-loopback target 192.168.1.10/);
});

test("npm run loadtest:k6 says clearly that k6 is missing and exits non-zero", () => {
  assert.equal(findOnPath("k6", "/nonexistent"), null);
  assert.equal(findOnPath("node", process.execPath.replace(/\/node$/, "")), process.execPath);
  const cli = new URL("./k6-cli.ts", import.meta.url).pathname;
  const r = spawnSync(process.execPath, ["--import", "tsx", cli], { encoding: "utf8", env: { ...process.env, PATH: "/nonexistent" } });
  assert.equal(r.status, 3);
  assert.ok(r.stderr.includes(K6_MISSING), r.stderr);
});
