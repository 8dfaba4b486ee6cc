// k6/metrics stand-in: Counter.add and Trend.add record (metric name, value, scenario) (test stand-in, see hooks.mjs).
export class Counter {
  constructor(name) {
    this.name = name;
  }
  add(value) {
    globalThis.__k6metrics.push({ name: this.name, value, scenario: globalThis.__k6scenario.name });
  }
}
export class Trend extends Counter {}
