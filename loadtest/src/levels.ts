// Measures one load level (a route at an offered rate for some seconds) with autocannon and turns
// the per-request observations into the shared Level shape.
import autocannon from "autocannon";
import { makeBody, percentile, type Level, type LevelSpec } from "../k6/lib/shared.js";

export interface LevelRun {
  level: Level;
  /** Per-request latencies (ms) of this level, ascending. */
  latencies: number[];
}

export interface LevelOptions {
  url: string;
  spec: LevelSpec;
  rng: () => number;
  documents: string[];
  /** Concurrent connections available (the open-model analogue of k6's maxVUs). */
  connections: number;
  apiKey?: string;
  /** Hard cap on requests sent at this level. */
  maxRequests: number;
}

/** Shapes observed latencies and counts into a Level (pure; unit-tested). */
export function levelFrom(spec: LevelSpec, latencies: number[], failed: number, elapsedSeconds: number): Level {
  const sorted = [...latencies].sort((a, b) => a - b);
  const requests = sorted.length;
  const mean = requests === 0 ? null : sorted.reduce((s, v) => s + v, 0) / requests;
  return {
    ...spec,
    requests,
    failed,
    throughputRps: elapsedSeconds > 0 ? (requests - failed) / elapsedSeconds : 0,
    latencyMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), mean, max: requests === 0 ? null : sorted[requests - 1] },
  };
}

export async function runLevel(o: LevelOptions): Promise<LevelRun> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
  const latencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  const options: autocannon.Options = {
    url: o.url,
    connections: o.connections,
    overallRate: o.spec.rate,
    duration: o.spec.seconds,
    timeout: 120,
    // Each request gets a fresh body (new seed, steps, sampler; a different document).
    requests: [
      {
        method: "POST",
        path: `/${o.spec.route}`,
        headers,
        setupRequest: (req) => ({ ...req, body: JSON.stringify(makeBody(o.spec.route, o.rng, o.documents)) }),
      },
    ],
  };
  const result = await new Promise<autocannon.Result>((resolveRun, rejectRun) => {
    const instance = autocannon(options, (err, res) => (err ? rejectRun(err) : resolveRun(res)));
    let stopped = false;
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      if (statusCode < 200 || statusCode >= 300) failed++;
      if (!stopped && latencies.length >= o.maxRequests) {
        stopped = true;
        instance.stop();
      }
    });
  });
  // Connection errors and timeouts produce no response event; count them as failed requests.
  const lost = result.errors + result.timeouts;
  failed += lost;
  const elapsed = (performance.now() - started) / 1000;
  const level = levelFrom(o.spec, latencies, failed, elapsed);
  level.requests += lost;
  return { level, latencies: [...latencies].sort((a, b) => a - b) };
}
