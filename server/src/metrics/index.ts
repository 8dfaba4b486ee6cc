// Prometheus metrics (prom-client), one registry per server instance so tests can run several.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { FailureReason } from "@ldtext/core";

export class Metrics {
  readonly registry = new Registry();
  readonly queueSize = new Gauge({ name: "ldtext_queue_size", help: "Requests waiting for admission", labelNames: ["model"], registers: [this.registry] });
  readonly runningRows = new Gauge({ name: "ldtext_running_rows", help: "Denoiser rows in flight (guided samples count twice)", labelNames: ["model"], registers: [this.registry] });
  readonly batchRows = new Histogram({
    name: "ldtext_batch_rows",
    help: "Rows per denoiser call (one call per scheduler tick)",
    labelNames: ["model"],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });
  readonly denoiserSeconds = new Histogram({
    name: "ldtext_denoiser_call_seconds",
    help: "Duration of one denoiser call",
    labelNames: ["model"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly queueSeconds = new Histogram({
    name: "ldtext_queue_time_seconds",
    help: "Time from arrival to admission",
    labelNames: ["model"],
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly requestSeconds = new Histogram({
    name: "ldtext_request_duration_seconds",
    help: "End-to-end request duration",
    labelNames: ["route"],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly requests = new Counter({ name: "ldtext_requests_total", help: "HTTP requests by route and status", labelNames: ["route", "status"], registers: [this.registry] });
  readonly failures = new Counter({ name: "ldtext_failures_total", help: "Inference requests that produced no text, by reason", labelNames: ["reason"], registers: [this.registry] });
  readonly cacheHits = new Counter({ name: "ldtext_cache_hits_total", help: "Cache hits", labelNames: ["cache"], registers: [this.registry] });
  readonly cacheMisses = new Counter({ name: "ldtext_cache_misses_total", help: "Cache misses", labelNames: ["cache"], registers: [this.registry] });
  readonly modelInfo = new Gauge({ name: "ldtext_model_info", help: "Served model versions (1 = serving)", labelNames: ["model", "version", "task", "ep", "denoiser"], registers: [this.registry] });
  readonly reloads = new Counter({ name: "ldtext_model_reloads_total", help: "Model loads by outcome", labelNames: ["outcome"], registers: [this.registry] });
  readonly epFallbacks = new Counter({ name: "ldtext_ep_fallback_total", help: "Requested execution provider unavailable, fell back to CPU", labelNames: ["requested"], registers: [this.registry] });

  constructor(defaultMetrics = true) {
    for (const reason of ["rejected", "cancelled", "timeout", "error"] satisfies FailureReason[]) this.failures.inc({ reason }, 0);
    for (const cache of ["condition", "response"]) {
      this.cacheHits.inc({ cache }, 0);
      this.cacheMisses.inc({ cache }, 0);
    }
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: "ldtext_" });
  }

  fail(reason: FailureReason): void {
    this.failures.inc({ reason });
  }
  cache(cache: "condition" | "response", hit: boolean): void {
    (hit ? this.cacheHits : this.cacheMisses).inc({ cache });
  }
}
