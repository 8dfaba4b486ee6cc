import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePipelineArgs } from "./args.ts";

test("options: defaults, paths from where npm ran, and clear refusals", () => {
  const o = parsePipelineArgs(["--preset", "tiny", "--data", "data/x.jsonl", "--force-gate-fail", "--train-arg=--val-examples=16"], { INIT_CWD: "/home/u/proj", LDTEXT_ADMIN_KEY: "a" });
  assert.equal(o.data, "/home/u/proj/data/x.jsonl");
  assert.equal(o.runDir, "/home/u/proj/runs/pipeline/tiny-generate");
  assert.equal(o.modelsDir, "/home/u/proj/models");
  assert.equal(o.serverUrl, "http://127.0.0.1:8080");
  assert.equal(o.tolerance, 0.02);
  assert.equal(o.failStage, "gate");
  assert.equal(o.adminKey, "a");
  assert.deepEqual(o.trainArgs, ["--val-examples=16"]);
  assert.equal(parsePipelineArgs(["--preset", "small", "--data", "rocstories"], {}).data, "rocstories");
  assert.equal(o.model, undefined, "no --model: the pipeline asks the server which id serves the task");
  assert.equal(o.floors, undefined, "no --floor: the defaults");
  const floors = parsePipelineArgs(["--preset", "tiny", "--data", "x", "--floor", "div=0.1", "--floor", "invented=off"], {}).floors!;
  assert.equal(floors.div, 0.1);
  assert.equal(floors.invented, null);
  assert.equal(floors.nonEmpty, 0.95);
  const bad: [string[], RegExp][] = [
    [["--data", "rocstories"], /--preset must be one of tiny, mini, small, base/],
    [["--preset", "tiny"], /--data is required/],
    [["--preset", "tiny", "--data", "x", "--task", "translate"], /--task must be generate or summarize/],
    [["--preset", "tiny", "--data", "x", "--tolerance", "1.5"], /--tolerance must be in \[0, 1\)/],
    [["--preset", "tiny", "--data", "x", "--steps", "2.5"], /--steps needs a positive integer/],
    [["--preset", "tiny", "--data", "x", "--fail-stage", "deploy"], /--fail-stage must be one of train, export/],
    [["--preset", "tiny", "--data", "x", "--server-url", "not a url"], /--server-url is not a URL/],
    [["--preset", "tiny", "--data", "x", "--floor", "speed=1"], /--floor "speed=1": expected name=value/],
  ];
  for (const [argv, re] of bad) assert.throws(() => parsePipelineArgs(argv, {}), re);
});
