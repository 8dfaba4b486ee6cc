// Where a load test may point: loopback only, so `npm run loadtest` can never be aimed at somebody
// else's server by accident.
import { createServer } from "node:net";

export class TargetError extends Error {
  override name = "TargetError";
}

function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  if (/^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)) return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

/** Parses and checks a target URL; throws TargetError for anything but http(s) on loopback. */
export function loopbackUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetError(`not a URL: ${raw}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TargetError(`only http(s) targets, got ${url.protocol}`);
  if (!isLoopbackHost(url.hostname)) {
    throw new TargetError(`refusing non-loopback target ${url.hostname}: the load test only runs against this machine (127.0.0.0/8, ::1, localhost)`);
  }
  if (url.username || url.password) throw new TargetError("credentials in the URL are not accepted; use --api-key");
  return url;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
