// The retrain → redeploy workflow, checked with GitHub's workflow parser, plus the project facts it
// relies on (stage order, presets, files and npm scripts it calls).
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { PresetNameSchema } from "@ldtext/core";
import { checkWorkflow } from "./workflow-check.ts";

const root = new URL("../../", import.meta.url).pathname;
const file = ".github/workflows/retrain-redeploy.yml";
const content = readFileSync(join(root, file), "utf8");

describe("retrain-redeploy workflow", () => {
  test("parses without errors; triggers on demand (preset input) and on a schedule", async () => {
    const o = await checkWorkflow(file, content);
    assert.deepEqual(o.errors, []);
    assert.deepEqual(o.events.sort(), ["schedule", "workflow_dispatch"]);
    const raw = parse(content) as { on: { workflow_dispatch: { inputs: { preset: { options: string[] } } } } };
    assert.deepEqual(raw.on.workflow_dispatch.inputs.preset.options, [...PresetNameSchema.options]);
  });

  test("stages run in order and a failed rollout or smoke test rolls back", async () => {
    const o = await checkWorkflow(file, content);
    const job = (id: string) => o.jobs.find((j) => j.id === id)!;
    assert.deepEqual(job("images").needs, ["train"]);
    assert.deepEqual(job("deploy").needs.sort(), ["images", "train"]);
    const names = (id: string) => job(id).steps.map((s) => s.name);
    const inOrder = (list: string[], wanted: string[]) => {
      let at = -1;
      for (const w of wanted) {
        const i = list.findIndex((n, idx) => idx > at && n.startsWith(w));
        assert.ok(i > at, `step "${w}" missing or out of order in ${JSON.stringify(list)}`);
        at = i;
      }
    };
    inOrder(names("train"), ["Install", "Data", "Train", "Export", "Verify", "Reference LM", "Evaluate", "Served model's artifact", "Evaluate the served model", "Quality gate", "Package", "Publish"]);
    inOrder(names("deploy"), ["Install the model version", "Roll out", "Smoke test", "Record the deployed model's scores", "Roll back"]);
    const rollback = job("deploy").steps.find((s) => s.name === "Roll back")!;
    assert.equal(rollback.if, "failure()");
    assert.match(rollback.run, /rollout undo/);
    const gate = job("train").steps.find((s) => s.name === "Quality gate")!;
    assert.match(gate.run, /deploy\/src\/cli\/quality-gate\.ts/);
    assert.ok(gate.if === "" || gate.if === "success()", `the gate runs after a good evaluation, its failure stops the job before Package/Publish (if: ${gate.if})`);
    assert.ok(job("images").steps.filter((s) => s.uses.startsWith("docker/build-push-action@")).length === 2);
  });

  test("every file it names exists", () => {
    const paths = [...content.matchAll(/(deploy\/[\w./-]+)/g)].map((m) => m[1].replace(/\/$/, ""));
    assert.ok(paths.length >= 5);
    for (const p of new Set(paths)) {
      const resolved = p.replace("$OVERLAY", "cpu");
      assert.ok(existsSync(join(root, resolved)), `${p} does not exist`);
    }
    for (const overlay of ["cpu", "gpu"]) assert.ok(existsSync(join(root, "deploy/k8s/overlays", overlay, "kustomization.yaml")));
  });

  // A real check: every script exists now, and a to-do failure would not fail the run.
  test("every npm script it runs exists in package.json", () => {
    const scripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    const used = [...new Set([...content.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]))];
    assert.ok(used.length > 0, "the workflow runs npm scripts");
    const missing = used.filter((s) => !(s in scripts));
    assert.deepEqual(missing, [], `npm scripts the workflow runs but package.json lacks: ${missing.join(", ")}`);
  });

  test("a broken workflow is reported", async () => {
    const noRunner = await checkWorkflow(file, content.replace("    runs-on: ubuntu-24.04\n    timeout-minutes: 720\n", "    timeout-minutes: 720\n"));
    assert.ok(noRunner.errors.length > 0, "a job without runs-on must fail");
    const badType = await checkWorkflow(file, content.replace("type: choice", "type: choise"));
    assert.ok(badType.errors.some((e) => /choise|type/i.test(e)), JSON.stringify(badType.errors));
    const badExpr = await checkWorkflow(file, content.replace("${{ inputs.preset || 'small' }}", "${{ inputs.preset || }}"));
    assert.ok(badExpr.errors.length > 0, "a broken expression must fail");
  });

  test("the gate: judged against the served model (evaluated with the candidate's settings) and the floors, verdict table in the job summary", async () => {
    const o = await checkWorkflow(file, content);
    const steps = o.jobs.find((j) => j.id === "train")!.steps;
    const gate = steps.find((s) => s.name === "Quality gate")!.run;
    assert.match(gate, /--candidate "eval\/\$VERSION"/, "an evaluation folder: result.json + samples.jsonl for the floors");
    assert.match(gate, /--summary "\$GITHUB_STEP_SUMMARY"/);
    assert.match(gate, /--data "\$DATA"/, "the training corpus for the invented-word floor");
    assert.match(gate, /--baseline served\/eval --served-label "\$DEFAULT_MODEL@/);
    assert.match(gate, /if \[ -f served\/eval\/result\.json \][\s\S]*else\s+args\+=\(--first-deployment\)/, "--first-deployment only when nothing serves the task");
    assert.match(gate, /--floor "\$f"/);
    assert.doesNotMatch(content, /--allow-missing-baseline/);
    const servedEval = steps.find((s) => s.name === "Evaluate the served model")!.run;
    const candidateEval = steps.find((s) => s.name === "Evaluate")!.run;
    for (const flag of ['--data "$DATA"', '--reflm "reflm/$VERSION"', '--samples "$EVAL_SAMPLES"', '--steps "$EVAL_STEPS"', "--seed 0"]) {
      assert.ok(servedEval.includes(flag) && candidateEval.includes(flag), `both evaluations use ${flag}`);
    }
  });

  test("the model id defaults to the one serving the task: the workflow's ids equal DEFAULT_MODELS of the ConfigMap", () => {
    const cm = parse(readFileSync(join(root, "deploy/k8s/base/configmap.yaml"), "utf8")) as { data: Record<string, string> };
    const defaults = Object.fromEntries(cm.data.DEFAULT_MODELS.split(",").map((p) => p.split("=")));
    const env = (parse(content) as { env: Record<string, string> }).env;
    for (const key of ["DEFAULT_MODEL", "MODEL"]) {
      assert.ok(env[key].includes(`'summarize' && '${defaults.summarize}' || '${defaults.generate}'`), `${key}: ${env[key]}`);
    }
    assert.match(env.MODEL, /^\$\{\{ inputs\.model \|\|/);
    for (const uses of ['--name "$MODEL"', 'model-$MODEL-$VERSION', 'strenv(MODEL)', 'deployed-$MODEL"']) assert.ok(content.includes(uses), uses);
    assert.doesNotMatch(content, /--name "\$TASK"|strenv\(TASK\)/, "the task name is no model id");
  });
});
