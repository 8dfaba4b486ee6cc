// Renders the kustomize base and overlays and validates every object against the Kubernetes
// schemas (offline, kubernetes-models) plus the server's operational contract; broken manifests
// must fail.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkRender, kustomize, readYamlObjects, strategicMerge, validateK8sObject, type K8sObject } from "../src/index.ts";
import { ServerSettingsSchema } from "@ldtext/server";

const here = new URL(".", import.meta.url).pathname;
const contract = {
  knownEnv: new Set(Object.keys(ServerSettingsSchema.shape)),
  defaultDrainMs: ServerSettingsSchema.shape.DRAIN_TIMEOUT_MS.parse(undefined),
  queueMetric: "ldtext_queue_size",
};

function deploymentOf(objs: K8sObject[]) {
  const d = objs.find((o) => o.kind === "Deployment")!;
  const pod = (d.spec as { template: { spec: { containers: Record<string, unknown>[]; nodeSelector?: unknown } } }).template.spec;
  return { d, pod, server: pod.containers[0] };
}

/** A scratch copy of deploy/k8s whose files a test may break. */
function scratchCopy(): { dir: string; edit: (rel: string, from: string | RegExp, to: string) => void; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "k8s-"));
  cpSync(here, dir, { recursive: true, filter: (src) => !src.endsWith(".test.ts") });
  return {
    dir,
    edit(rel, from, to) {
      const file = join(dir, rel);
      const text = readFileSync(file, "utf8");
      const next = text.replace(from, to);
      assert.notEqual(next, text, `edit of ${rel} changed nothing`);
      writeFileSync(file, next);
    },
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}

describe("kustomize renders", () => {
  for (const target of ["base", "overlays/cpu", "overlays/gpu"]) {
    test(`${target}: every object passes schema and contract checks`, () => {
      const objs = kustomize(join(here, target));
      assert.equal(objs.length, 7);
      assert.deepEqual(checkRender(objs, contract), []);
    });
  }

  test("overlays set namespace, image and selectors; gpu asks for a GPU and CUDA", () => {
    const cpu = kustomize(join(here, "overlays/cpu"));
    const gpu = kustomize(join(here, "overlays/gpu"));
    for (const o of [...cpu, ...gpu]) assert.equal(o.metadata.namespace, "ldtext");
    const c = deploymentOf(cpu);
    const g = deploymentOf(gpu);
    assert.equal(c.server.image, "ghcr.io/ldtext/ldtext-server:cpu");
    assert.equal(g.server.image, "ghcr.io/ldtext/ldtext-server:gpu");
    const limits = (x: Record<string, unknown>) => (x.resources as { limits: Record<string, string> }).limits;
    assert.equal(limits(g.server)["nvidia.com/gpu"], "1");
    assert.equal(limits(c.server)["nvidia.com/gpu"], undefined);
    assert.equal(limits(c.server).cpu, "4");
    // The patch merged into the container (by name) instead of replacing the list.
    assert.equal(g.pod.containers.length, 1);
    assert.ok(g.server.readinessProbe);
    const cm = gpu.find((o) => o.kind === "ConfigMap")!;
    assert.equal((cm.data as Record<string, string>).EP, "cuda");
    assert.equal((cm.data as Record<string, string>).MODELS_DIR, "/models");
    const svc = cpu.find((o) => o.kind === "Service")!;
    assert.equal((svc.spec as { selector: Record<string, string> }).selector["app.kubernetes.io/name"], "ldtext-server");
  });

  test("the model-sync Job validates", () => {
    for (const o of readYamlObjects(join(here, "jobs/model-sync.yaml"))) assert.deepEqual(validateK8sObject(o), []);
  });

  test("the prometheus-adapter rule names the HPA's metric", () => {
    const [values] = readYamlObjects(join(here, "monitoring/prometheus-adapter-values.yaml"));
    const rule = (values.rules as { custom: { seriesQuery: string; name: { as: string } }[] }).custom[0];
    assert.equal(rule.name.as, "ldtext_queue_size");
    assert.match(rule.seriesQuery, /^ldtext_queue_size\{/);
  });
});

describe("broken manifests fail", () => {
  const cases: [string, string, string | RegExp, string, RegExp][] = [
    ["misspelled field", "base/deployment.yaml", "livenessProbe:", "livenesProbe:", /livenesProbe is not a field/],
    ["wrong type", "base/deployment.yaml", "containerPort: 8080", "containerPort: http", /containerPort must be integer/],
    ["missing required field", "base/service.yaml", /\n {6}port: 80/, "", /must have required property 'port'|required property port/],
    ["grace period shorter than the drain", "base/deployment.yaml", "terminationGracePeriodSeconds: 45", "terminationGracePeriodSeconds: 30", /must exceed preStop 5 s \+ drain 30 s/],
    ["readiness on the wrong route", "base/deployment.yaml", "path: /health/ready", "path: /healthz", /readinessProbe must GET \/health\/ready/],
    ["unknown server setting", "base/configmap.yaml", "QUEUE_SIZE:", "QUEUE_SIZ:", /QUEUE_SIZ is not a server setting/],
    ["dangling secret key", "base/secret.yaml", "ADMIN_KEYS: change-me-admin-key", "", /has no key ADMIN_KEYS/],
    ["HPA on another metric", "overlays/gpu/hpa-patch.yaml", "name: ldtext_queue_size", "name: cpu_usage", /does not scale on ldtext_queue_size/],
  ];
  for (const [what, file, from, to, expected] of cases) {
    test(what, () => {
      const s = scratchCopy();
      try {
        s.edit(file, from, to);
        const target = file.startsWith("overlays/gpu") ? "overlays/gpu" : "overlays/cpu";
        const problems = checkRender(kustomize(join(s.dir, target)), contract);
        assert.ok(problems.some((p) => expected.test(p)), `expected ${expected} in:\n${problems.join("\n")}`);
      } finally {
        s.done();
      }
    });
  }

  test("kustomization errors: unsupported field, missing resource, patch without target", () => {
    const s = scratchCopy();
    try {
      s.edit("overlays/cpu/kustomization.yaml", "namespace: ldtext", "namespace: ldtext\nnamePrefix: x-");
      assert.throws(() => kustomize(join(s.dir, "overlays/cpu")), /field "namePrefix" is not supported/);
      s.edit("base/kustomization.yaml", "- pdb.yaml", "- nope.yaml");
      assert.throws(() => kustomize(join(s.dir, "base")), /resource nope.yaml does not exist/);
      s.edit("base/kustomization.yaml", "- nope.yaml", "- pdb.yaml");
      s.edit("overlays/gpu/hpa-patch.yaml", "name: ldtext-server", "name: other");
      assert.throws(() => kustomize(join(s.dir, "overlays/gpu")), /no resource HorizontalPodAutoscaler\/other to patch/);
      writeFileSync(join(s.dir, "base/pdb.yaml"), "kind: [unclosed");
      assert.throws(() => kustomize(join(s.dir, "base")), /pdb.yaml/);
    } finally {
      s.done();
    }
  });
});

describe("strategicMerge", () => {
  test("merges keyed lists, replaces plain lists, deletes on null", () => {
    const base = { c: [{ name: "a", x: 1, env: [{ name: "K", value: "1" }] }], t: [1, 2], gone: 1 };
    const patch = { c: [{ name: "a", env: [{ name: "J", value: "2" }] }, { name: "b" }], t: [3], gone: null };
    const out = strategicMerge(base, patch, "") as Record<string, unknown>;
    // `c` is not a merge-keyed field name, so it is replaced; `containers` would merge.
    assert.deepEqual(out.t, [3]);
    assert.equal("gone" in out, false);
    const merged = strategicMerge({ containers: base.c }, { containers: patch.c }) as { containers: unknown[] };
    assert.deepEqual(merged.containers, [
      { name: "a", x: 1, env: [{ name: "K", value: "1" }, { name: "J", value: "2" }] },
      { name: "b" },
    ]);
    assert.deepEqual(base.c[0].env, [{ name: "K", value: "1" }], "input not mutated");
  });
});
