// One measured level for tests (the shape both runners' summaries hold): a sustained 1 req/s
// level of /generate; tests override the fields they are about.
import type { Level } from "../k6/lib/shared.js";

export const levelFixture = (over: Partial<Level> = {}): Level => ({
  key: "generate-steady-1",
  scenario: "generate_steady_1rps",
  route: "generate",
  load: "steady",
  rate: 1,
  seconds: 10,
  startSeconds: 0,
  vus: 11,
  offered: 10,
  sent: 10,
  dropped: 0,
  failed: 0,
  cached: 0,
  ok: 10,
  lastOkSeconds: 10,
  achievedRps: 1,
  checksPassed: 30,
  checksTotal: 30,
  latencyMs: { p50: 10, p95: 20, p99: 30, mean: 12, max: 31 },
  ...over,
});
