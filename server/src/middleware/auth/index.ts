// Bearer API keys. Keys are compared as SHA-256 digests with crypto.timingSafeEqual, so neither the
// key's content nor its length leaks through response timing.
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { errorJson } from "../../http/errors.ts";

export interface AuthOptions {
  /** Accepted keys; an empty list turns authentication off. */
  keys: string[];
  /** Realm in WWW-Authenticate. */
  realm?: string;
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

export function keyMatcher(keys: string[]): (candidate: string) => string | null {
  const digests = keys.map((k) => ({ key: k, d: digest(k) }));
  return (candidate) => {
    const c = digest(candidate);
    let found: string | null = null;
    // Compare against every key (no early exit) so timing does not reveal which one matched.
    for (const { key, d } of digests) if (timingSafeEqual(c, d)) found = key;
    return found;
  };
}

/** Sets `apiKey` in the context when a key matched (used by per-key rate limiting). */
export type AuthEnv = { Variables: { apiKey: string | undefined; requestId: string } };

export function bearerAuth(opts: AuthOptions): MiddlewareHandler<AuthEnv> {
  const match = keyMatcher(opts.keys);
  const realm = opts.realm ?? "ldtext";
  return async (c, next) => {
    if (opts.keys.length === 0) return next();
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const key = m ? match(m[1]) : null;
    if (key === null) {
      const message = m ? "invalid API key" : "missing bearer API key (Authorization: Bearer <key>)";
      return errorJson(c, { status: 401, code: "unauthorized", message, headers: { "WWW-Authenticate": `Bearer realm="${realm}"` } });
    }
    c.set("apiKey", key);
    return next();
  };
}
