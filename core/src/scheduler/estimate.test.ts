import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { TickModel, simulate } from "./estimate.ts";

describe("TickModel", () => {
  test("recovers a + b·rows from ticks of different sizes, forgetting old ones", () => {
    const m = new TickModel();
    assert.equal(m.predict(8), 50, "prior before any tick");
    for (let i = 0; i < 200; i++) {
      const rows = 1 + (i % 16);
      m.observe(rows, 100 + 10 * rows); // an old, slower regime
    }
    for (let i = 0; i < 300; i++) {
      const rows = 1 + (i % 16);
      m.observe(rows, 5 + 2 * rows + (i % 3) - 1);
    }
    assert.ok(Math.abs(m.predict(32) - 69) < 3, String(m.predict(32)));
    assert.ok(Math.abs(m.predict(1) - 7) < 2, String(m.predict(1)));
  });

  test("ticks all of one size: proportional above it, flat below it", () => {
    const m = new TickModel();
    for (let i = 0; i < 20; i++) m.observe(32, 320);
    assert.equal(m.predict(32), 320);
    assert.equal(m.predict(64), 640);
    assert.equal(m.predict(4), 320);
  });
});

describe("simulate", () => {
  const tickMs = (rows: number) => 10 + rows;

  test("a queue of full-budget jobs drains one job after the other", () => {
    const jobs = [0, 1, 2, 3].map(() => ({ rows: 8, steps: 10 }));
    const r = simulate([[]], jobs, { rowBudget: 8, tickMs });
    assert.equal(r.drainMs, 4 * 10 * 18);
    assert.deepEqual(r.finishMs, [180, 360, 540, 720]);
  });

  test("small jobs share a tick; a finished job's rows are refilled from the queue", () => {
    // budget 4: jobs of 2 rows run two at a time
    const r = simulate([[{ rows: 2, steps: 3 }]], [{ rows: 2, steps: 5 }, { rows: 2, steps: 5 }], { rowBudget: 4, tickMs });
    // ticks 1-3: the running job + the first waiting one (4 rows, 14 ms); then the second joins
    // (4 rows) until the first finishes at 5 ticks; its last 3 steps run alone (2 rows, 12 ms)
    assert.equal(r.finishMs[0], 5 * 14);
    assert.equal(r.finishMs[1], 5 * 14 + 3 * 12);
    assert.equal(r.drainMs, 5 * 14 + 3 * 12);
  });

  test("two lanes split the queue; an oversized job runs alone", () => {
    const r = simulate([[], []], [{ rows: 4, steps: 10 }, { rows: 4, steps: 10 }], { rowBudget: 4, tickMs });
    assert.equal(r.drainMs, 140);
    const big = simulate([[]], [{ rows: 9, steps: 2 }], { rowBudget: 4, tickMs });
    assert.equal(big.drainMs, 2 * 19);
  });

  test("nothing to do is zero", () => {
    assert.equal(simulate([[], []], [], { rowBudget: 4, tickMs }).drainMs, 0);
  });
});
