import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { makeSchedule, tAtLogSnr } from "./schedule.ts";

const schedules = [makeSchedule({ name: "tan-d", d: 9 }), makeSchedule("cosine"), makeSchedule("sqrt"), makeSchedule({ name: "tan-d", d: 3 })];
const grid = Array.from({ length: 1001 }, (_, i) => i / 1000);

describe("noise schedules", () => {
  for (const sch of schedules) {
    test(`${sch.name}: α² + σ² = 1 and α matches the formula`, () => {
      for (const t of grid) {
        const a = sch.alpha(t);
        const s = sch.sigma(t);
        assert.ok(Math.abs(a * a + s * s - 1) < 1e-12, `t=${t}: ${a}² + ${s}² ≠ 1`);
        assert.ok(a >= 0 && a <= 1 && s >= 0 && s <= 1);
      }
    });

    test(`${sch.name}: logSNR strictly decreasing, consistent with α/σ`, () => {
      // sqrt is pure noise on [0.9999, 1] by construction (see schedule.ts), so it is checked before that.
      const ts = sch.name === "sqrt" ? grid.filter((t) => t < 0.9999) : grid;
      for (let i = 1; i < ts.length; i++) {
        assert.ok(sch.logSnr(ts[i]) < sch.logSnr(ts[i - 1]), `${sch.name} logSNR not decreasing at t=${ts[i]}`);
      }
      for (const t of [0.01, 0.3, 0.5, 0.9]) {
        const a = sch.alpha(t);
        const s = sch.sigma(t);
        assert.ok(Math.abs(sch.logSnr(t) - Math.log((a * a) / (s * s))) < 1e-9);
      }
    });

    test(`${sch.name}: β matches a numeric derivative of −ln α²`, () => {
      const h = 1e-6;
      for (const t of [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) {
        const numeric = -(Math.log(sch.alpha2(t + h)) - Math.log(sch.alpha2(t - h))) / (2 * h);
        const analytic = sch.beta(t);
        assert.ok(Math.abs(numeric - analytic) / analytic < 1e-5, `${sch.name} t=${t}: β ${analytic} vs numeric ${numeric}`);
      }
    });
  }

  test("endpoints", () => {
    const [tan9, cos] = schedules;
    for (const sch of [tan9, cos]) {
      assert.equal(sch.alpha(0), 1);
      assert.equal(sch.sigma(0), 0);
      assert.equal(sch.alpha(1), 0);
      assert.equal(sch.sigma(1), 1);
      assert.equal(sch.logSnr(0), Infinity);
      assert.equal(sch.logSnr(1), -Infinity);
      assert.equal(sch.beta(0), 0);
      assert.equal(sch.beta(1), Infinity);
    }
    // tan-d with d = 9 at t = 0.5: α² = 1/(1 + 81).
    assert.ok(Math.abs(tan9.alpha2(0.5) - 1 / 82) < 1e-15);
    assert.ok(Math.abs(tan9.logSnr(0.5) + 2 * Math.log(9)) < 1e-12);
    const sq = schedules[2];
    assert.ok(Math.abs(sq.alpha2(0) - 0.99) < 1e-12);
    assert.equal(sq.alpha(1), 0);
    assert.equal(sq.sigma(1), 1);
    assert.equal(sq.beta(1), Infinity);
    assert.throws(() => tan9.alpha(NaN));
  });

  test("tAtLogSnr inverts logSnr for every schedule (tan-d closed form checked)", () => {
    for (const sch of schedules) {
      for (const snr of [4, 2, 0.5, 0.12, 0.05, 0.01]) {
        const t = tAtLogSnr(sch, Math.log(snr));
        assert.ok(Math.abs(sch.logSnr(t) - Math.log(snr)) < 1e-9, `${sch.name} SNR ${snr}: logSnr(${t}) = ${sch.logSnr(t)}`);
      }
    }
    // tan-d: SNR = 1 / (d² tan²(πt/2)) → t = (2/π) atan(1 / (d·sqrt(SNR))).
    const t = tAtLogSnr(makeSchedule({ name: "tan-d", d: 3 }), Math.log(0.5));
    assert.ok(Math.abs(t - (2 / Math.PI) * Math.atan(1 / (3 * Math.sqrt(0.5)))) < 1e-12);
    assert.throws(() => tAtLogSnr(schedules[0], Infinity));
  });
});
