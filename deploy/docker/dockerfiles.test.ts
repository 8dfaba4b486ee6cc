// Offline checks of the Dockerfiles (no Docker engine here): lint, project rules, and that every
// file they COPY reaches the build context through .dockerignore.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { checkDockerfile, isIgnored, parseDockerignore, readDockerfile } from "../src/index.ts";

const root = new URL("../../", import.meta.url).pathname;
const read = (rel: string) => readFileSync(join(root, rel), "utf8");
const cpu = read("deploy/docker/Dockerfile.cpu");
const gpu = read("deploy/docker/Dockerfile.gpu");

function filesUnder(rel: string): string[] {
  const full = join(root, rel);
  if (!statSync(full).isDirectory()) return [rel];
  return readdirSync(full).filter((n) => n !== "node_modules").flatMap((n) => filesUnder(`${rel}/${n}`));
}

describe("Dockerfiles", () => {
  for (const [name, text] of [["cpu", cpu], ["gpu", gpu]] as const) {
    test(`${name}: lints clean and follows the image rules`, () => {
      assert.deepEqual(checkDockerfile(text), []);
      const facts = readDockerfile(text);
      assert.equal(facts.finalEnv.MODELS_DIR, "/models");
      assert.ok(facts.baseImages.some((i) => /^node:20\.\d+\.\d+-bookworm-slim$/.test(i)), facts.baseImages.join());
    });
  }

  test("cpu skips the CUDA download; gpu runs on CUDA 12 + cuDNN with onnxruntime-node's CUDA 12 EP", () => {
    const c = readDockerfile(cpu);
    assert.match(cpu, /ENV ONNXRUNTIME_NODE_INSTALL=skip/);
    assert.equal(c.finalEnv.EP, "cpu");
    const g = readDockerfile(gpu);
    assert.ok(g.baseImages.some((i) => /^nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-/.test(i)), g.baseImages.join());
    assert.ok(g.runs.some((r) => r.includes("ONNXRUNTIME_NODE_INSTALL=cuda12 node script/install")));
    assert.equal(g.finalEnv.EP, "cuda");
  });

  test("every workspace the server depends on is copied into the runtime image", () => {
    const workspaces = (JSON.parse(read("package.json")) as { workspaces: string[] }).workspaces;
    const byName = new Map(workspaces.map((w) => [(JSON.parse(read(`${w}/package.json`)) as { name: string }).name, w]));
    const needed = new Set<string>(["server"]);
    const queue = ["server"];
    while (queue.length > 0) {
      const deps = (JSON.parse(read(`${queue.pop()}/package.json`)) as { dependencies?: Record<string, string> }).dependencies ?? {};
      for (const dep of Object.keys(deps)) {
        const ws = byName.get(dep);
        if (ws !== undefined && !needed.has(ws)) {
          needed.add(ws);
          queue.push(ws);
        }
      }
    }
    for (const text of [cpu, gpu]) {
      const copies = readDockerfile(text).contextCopies;
      for (const ws of needed) assert.ok(copies.includes(ws), `${ws} is not copied`);
      // npm ci needs every workspace's package.json to match the lockfile.
      for (const ws of workspaces) assert.ok(copies.includes(`${ws}/package.json`), `${ws}/package.json is not copied`);
    }
  });

  test(".dockerignore keeps what the images COPY and drops node_modules, .git and tests", () => {
    const rules = parseDockerignore(read(".dockerignore"));
    for (const src of new Set([...readDockerfile(cpu).contextCopies, ...readDockerfile(gpu).contextCopies])) {
      if (!existsSync(join(root, src))) continue; // e.g. models/ before any model is shipped
      for (const file of filesUnder(src)) {
        if (/\.(test|bench)\.ts$/.test(file)) assert.ok(isIgnored(rules, file), `${file} should stay out of the image`);
        else assert.equal(isIgnored(rules, file), false, `${file} is copied by a Dockerfile but ignored`);
      }
    }
    for (const gone of ["node_modules/x/index.js", "server/node_modules/y", ".git/HEAD", "training/src/trainer.ts", "loadtest/results/a.json"]) {
      assert.ok(isIgnored(rules, gone), gone);
    }
  });
});

describe("broken Dockerfiles fail", () => {
  const cases: [string, (t: string) => string, RegExp][] = [
    ["runs as root", (t) => t.replace("USER 10001:10001", "USER root"), /final stage runs as root/],
    ["no USER", (t) => t.replace("USER 10001:10001\n", ""), /no USER/],
    ["unpinned base", (t) => t.replace("node:20.20.2-bookworm-slim", "node:latest"), /node:latest is not pinned/],
    ["single stage", (t) => t.replace(/FROM \$\{NODE_IMAGE\} AS deps[\s\S]*?(?=FROM \$\{NODE_IMAGE\} AS runtime)/, ""), /not multi-stage/],
    ["no HEALTHCHECK", (t) => t.replace(/HEALTHCHECK[^\n]*\\\n[^\n]*\n/, ""), /no HEALTHCHECK/],
    ["shell-form CMD", (t) => t.replace(/^CMD \[.*\]$/m, "CMD node --import tsx server/src/main.ts"), /exec \(JSON\) form/],
    ["unknown instruction", (t) => t.replace("EXPOSE 8080", "EXPOZE 8080"), /Unknown instruction: EXPOZE/],
  ];
  for (const [what, breakIt, expected] of cases) {
    test(what, () => {
      const broken = breakIt(cpu);
      assert.notEqual(broken, cpu);
      const problems = checkDockerfile(broken);
      assert.ok(problems.some((p) => expected.test(p)), `expected ${expected} in ${JSON.stringify(problems)}`);
    });
  }
});

describe("dockerignore matcher", () => {
  test("Docker semantics: directories, ** and exceptions, last match wins", () => {
    const rules = parseDockerignore("**/node_modules\ntraining/**\n!training/package.json\n*.md\n!README.md\n");
    assert.equal(isIgnored(rules, "a/b/node_modules/c.js"), true);
    assert.equal(isIgnored(rules, "node_modules"), true);
    assert.equal(isIgnored(rules, "training/src/x.ts"), true);
    assert.equal(isIgnored(rules, "training/package.json"), false);
    assert.equal(isIgnored(rules, "NOTES.md"), true);
    assert.equal(isIgnored(rules, "docs/NOTES.md"), false, "* does not cross directories");
    assert.equal(isIgnored(rules, "README.md"), false);
  });
});
