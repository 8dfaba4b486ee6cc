// Composition: settings → metrics, registry, inference service, HTTP app → a listening server with
// hot reload (SIGHUP, admin route, optional polling) and graceful shutdown (SIGTERM/SIGINT).
import { serve } from "@hono/node-server";
import type { ServerType } from "@hono/node-server";
import { Server as NetServer } from "node:net";
import type { AddressInfo } from "node:net";
import pino from "pino";
import type { Logger } from "pino";
import type { ServerSettings } from "./settings/index.ts";
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

export async function startServer(settings: ServerSettings, opts: { logger?: Logger } = {}): Promise<RunningServer> {
  const logger = opts.logger ?? pino({ level: settings.LOG_LEVEL, base: { service: "ldtext-server" } });
  const metrics = new Metrics();
  const condCache = createConditionCache(settings.COND_CACHE_SIZE);
  const registry = new ModelRegistry(settings.MODELS_DIR, { settings, metrics, logger, condCache });
  const inference = new InferenceService(registry, settings, metrics);
  const lifecycle: Lifecycle = { draining: false };
  const app = createApp({ settings, inference, metrics, logger, lifecycle });

  // Node's defaults (300 s per request, timeouts checked every 30 s, no connection cap) let a slow
  // body hold a connection for minutes; the limits come from configuration instead.
  const serverOptions = {
    headersTimeout: settings.HEADERS_TIMEOUT_MS,
    requestTimeout: settings.REQUEST_TIMEOUT_MS,
    keepAliveTimeout: settings.KEEP_ALIVE_TIMEOUT_MS,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(settings.HEADERS_TIMEOUT_MS / 4))),
  };
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: settings.PORT, hostname: settings.HOST, serverOptions }, () => resolve(s));
  });
  if (settings.MAX_CONNECTIONS > 0) server.maxConnections = settings.MAX_CONNECTIONS;
  let dropped = 0;
  server.on("drop", () => {
    if (dropped++ % 100 === 0) logger.warn({ maxConnections: settings.MAX_CONNECTIONS, dropped }, "connection cap reached: new connections are closed");
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, host: settings.HOST, modelsDir: settings.MODELS_DIR, ep: settings.EP, workers: settings.WORKERS, intraOpThreads: settings.INTRA_OP_THREADS }, "listening");

  const loaded = registry.reload().then(
    (r) => {
      if (r.loaded.length === 0) logger.error({ modelsDir: settings.MODELS_DIR, failed: r.failed }, "no model loaded; readiness stays 503");
      else logger.info({ loaded: r.loaded, failed: r.failed }, "models ready");
    },
    (e: unknown) => logger.error({ err: String(e) }, "model scan failed"),
  );

  let poll: NodeJS.Timeout | undefined;
  if (settings.MODEL_POLL_MS > 0) {
    poll = setInterval(() => {
      if (!lifecycle.draining) void registry.reload({ skipKnownFailures: true }).catch(() => {});
    }, settings.MODEL_POLL_MS);
    poll.unref();
  }

  let stopping: Promise<void> | null = null;
  const shutdown = (reason = "shutdown") => {
    stopping ??= (async () => {
      logger.info({ reason, drainTimeoutMs: settings.DRAIN_TIMEOUT_MS, graceMs: settings.SHUTDOWN_GRACE_MS }, "draining: readiness 503, finishing admitted requests");
      // From here every response carries Connection: close (see app.ts), so clients leave their
      // keep-alive sockets instead of sending on them while they are closed under them.
      lifecycle.draining = true;
      clearInterval(poll);
      // The listener stays open through the drain and at least the grace: connections the kernel
      // already accepted are answered (503) instead of reset when the listening socket closes.
      const grace = new Promise((r) => setTimeout(r, settings.SHUTDOWN_GRACE_MS));
      await loaded;
      await registry.close(settings.DRAIN_TIMEOUT_MS);
      await grace;
      await new Promise<void>((resolve) => {
        // Not unref'd: after a 413 on a body still uploading, close() waits on a socket that holds no
        // handle open, and an unref'd timer let the process exit before close() ever settled.
        const force = setTimeout(() => (server as { closeAllConnections?: () => void }).closeAllConnections?.(), settings.SHUTDOWN_GRACE_MS);
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
