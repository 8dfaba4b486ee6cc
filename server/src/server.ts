// Composition: config → metrics, registry, inference service, HTTP app → a listening server with
// hot reload (SIGHUP, admin route, optional polling) and graceful shutdown (SIGTERM/SIGINT).
import { serve } from "@hono/node-server";
import type { ServerType } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import pino from "pino";
import type { Logger } from "pino";
import type { ServerConfig } from "./config/index.ts";
import { createApp } from "./http/app.ts";
import type { Lifecycle } from "./http/app.ts";
import { InferenceService, createConditionCache } from "./inference/service.ts";
import { Metrics } from "./metrics/index.ts";
import { ModelRegistry } from "./registry/registry.ts";

export interface RunningServer {
  port: number;
  url: string;
  registry: ModelRegistry;
  metrics: Metrics;
  logger: Logger;
  lifecycle: Lifecycle;
  /** Resolves when the first model scan finished (ready or not). */
  loaded: Promise<void>;
  /** Graceful stop: readiness 503, refuse new work, finish admitted work (up to DRAIN_TIMEOUT_MS), close. */
  shutdown(reason?: string): Promise<void>;
}

export async function startServer(config: ServerConfig, opts: { logger?: Logger } = {}): Promise<RunningServer> {
  const logger = opts.logger ?? pino({ level: config.LOG_LEVEL, base: { service: "ldtext-server" } });
  const metrics = new Metrics();
  const condCache = createConditionCache(config.COND_CACHE_SIZE);
  const registry = new ModelRegistry(config.MODELS_DIR, { config, metrics, logger, condCache });
  const inference = new InferenceService(registry, config, metrics);
  const lifecycle: Lifecycle = { draining: false };
  const app = createApp({ config, inference, metrics, logger, lifecycle });

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, host: config.HOST, modelsDir: config.MODELS_DIR, ep: config.EP, workers: config.WORKERS, intraOpThreads: config.INTRA_OP_THREADS }, "listening");

  const loaded = registry.reload().then(
    (r) => {
      if (r.loaded.length === 0) logger.error({ modelsDir: config.MODELS_DIR, failed: r.failed }, "no model loaded; readiness stays 503");
      else logger.info({ loaded: r.loaded, failed: r.failed }, "models ready");
    },
    (e: unknown) => logger.error({ err: String(e) }, "model scan failed"),
  );

  let poll: NodeJS.Timeout | undefined;
  if (config.MODEL_POLL_MS > 0) {
    poll = setInterval(() => {
      if (!lifecycle.draining) void registry.reload({ skipKnownFailures: true }).catch(() => {});
    }, config.MODEL_POLL_MS);
    poll.unref();
  }

  let stopping: Promise<void> | null = null;
  const shutdown = (reason = "shutdown") => {
    stopping ??= (async () => {
      logger.info({ reason, drainTimeoutMs: config.DRAIN_TIMEOUT_MS }, "draining: readiness 503, finishing admitted requests");
      lifecycle.draining = true;
      clearInterval(poll);
      await loaded;
      await registry.close(config.DRAIN_TIMEOUT_MS);
      await new Promise<void>((resolve) => {
        // Not unref'd: after a 413 on a body still uploading, close() waits on a socket that holds no
        // handle open, and an unref'd timer let the process exit before close() ever settled.
        const force = setTimeout(() => (server as { closeAllConnections?: () => void }).closeAllConnections?.(), 1000);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        // Responses are done; idle keep-alive sockets would otherwise hold close() open.
        (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      });
      logger.info("stopped");
    })();
    return stopping;
  };

  return { port, url: `http://127.0.0.1:${port}`, registry, metrics, logger, lifecycle, loaded, shutdown };
}
