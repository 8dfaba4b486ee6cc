import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageError, parseCommand } from "./args.ts";

test("generate flags become typed parameters; env gives the URL and key", () => {
  const c = parseCommand(["generate", "--steps", "20", "--seed", "7", "--n", "2", "--sampler", "ode", "--length", "12", "--stream"], { DIFFUSION_TEXT_URL: "http://h:1", DIFFUSION_TEXT_API_KEY: "k" });
  assert.ok(!("help" in c));
  assert.deepEqual(c.params, { steps: 20, seed: 7, n: 2, sampler: "ode", length: 12, guidance: undefined, candidates: undefined, clamp: undefined, maxLength: undefined, model: undefined });
  assert.equal(c.url, "http://h:1");
  assert.equal(c.apiKey, "k");
  assert.equal(c.stream, true);
  const clamped = parseCommand(["summarize", "--clamp", "0.4"], {});
  assert.ok(!("help" in clamped) && clamped.params.clamp === 0.4);
  const flagWins = parseCommand(["health", "--url", "https://x", "--api-key", "z"], { DIFFUSION_TEXT_URL: "http://h:1", DIFFUSION_TEXT_API_KEY: "k" });
  assert.ok(!("help" in flagWins) && flagWins.url === "https://x" && flagWins.apiKey === "z");
});

test("usage errors say what is wrong", () => {
  const bad: [string[], RegExp][] = [
    [[], /missing command/],
    [["paint"], /unknown command "paint"/],
    [["generate", "--steps", "ten"], /--steps must be a number/],
    [["generate", "--steps", "2.5"], /--steps must be an integer/],
    [["generate", "--seed=-1"], /--seed must be ≥ 0/],
    [["generate", "--sampler", "euler"], /--sampler must be one of ddim, sde, ode/],
    [["generate", "--guidance", "2"], /--guidance applies to summarize only/],
    [["generate", "--candidates", "2"], /--candidates applies to summarize only/],
    [["generate", "--clamp", "half"], /--clamp must be a number/],
    [["summarize", "--clamp=-0.2"], /--clamp must be ≥ 0/],
    [["summarize", "--length", "2"], /--max-length/],
    [["generate", "--url", "ftp://x"], /--url must be an http\(s\) URL/],
    [["generate", "--bogus"], /bogus/],
    [["models", "--stream"], /--stream applies/],
  ];
  for (const [argv, re] of bad) assert.throws(() => parseCommand(argv, {}), (e: unknown) => e instanceof UsageError && re.test(e.message), argv.join(" "));
  assert.deepEqual(parseCommand(["--help"], {}), { help: true });
});
