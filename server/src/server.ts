// Composition: config → metrics, registry, inference service, HTTP app → a listening server with
// hot reload (SIGHUP, admin route, optional polling) and graceful shutdown (SIGTERM/SIGINT).
import { serve } from "@hono/node-server";
import type { ServerType } from "@hono/node-server";
import { Server as NetServer } from "node:net";
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

  // Node's defaults (300 s per request, timeouts checked every 30 s, no connection cap) let a slow
  // body hold a connection for minutes; the limits come from configuration instead.
  const serverOptions = {
    headersTimeout: config.HEADERS_TIMEOUT_MS,
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.HEADERS_TIMEOUT_MS / 4))),
  };
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST, serverOptions }, () => resolve(s));
  });
  if (config.MAX_CONNECTIONS > 0) server.maxConnections = config.MAX_CONNECTIONS;
  let dropped = 0;
  server.on("drop", () => {
    if (dropped++ % 100 === 0) logger.warn({ maxConnections: config.MAX_CONNECTIONS, dropped }, "connection cap reached: new connections are closed");
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
      logger.info({ reason, drainTimeoutMs: config.DRAIN_TIMEOUT_MS, graceMs: config.SHUTDOWN_GRACE_MS }, "draining: readiness 503, finishing admitted requests");
      // From here every response carries Connection: close (see app.ts), so clients leave their
      // keep-alive sockets instead of sending on them while they are closed under them.
      lifecycle.draining = true;
      clearInterval(poll);
      // The listener stays open through the drain and at least the grace: connections the kernel
      // already accepted are answered (503) instead of reset when the listening socket closes.
      const grace = new Promise((r) => setTimeout(r, config.SHUTDOWN_GRACE_MS));
      await loaded;
      await registry.close(config.DRAIN_TIMEOUT_MS);
      await grace;
      await new Promise<void>((resolve) => {
        // Not unref'd: after a 413 on a body still uploading, close() waits on a socket that holds no
        // handle open, and an unref'd timer let the process exit before close() ever settled.
        const force = setTimeout(() => (server as { closeAllConnections?: () => void }).closeAllConnections?.(), config.SHUTDOWN_GRACE_MS);
        // net.Server's close, not http.Server's: since Node 19 the latter also closes every idle
        // connection at once, including ones just accepted whose request is still on its way (they
        // saw a reset). Here they get the grace to send it and receive a 503 with Connection: close.
        NetServer.prototype.close.call(server, () => {
          clearTimeout(force);
          resolve();
        });
      });
      logger.info("stopped");
    })();
    return stopping;
  };

  return { port, url: `http://127.0.0.1:${port}`, registry, metrics, logger, lifecycle, loaded, shutdown };
}
