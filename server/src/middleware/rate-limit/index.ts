// Per-key token-bucket rate limiting. Hand-written (about 40 lines) instead of a dependency: the
// maintained Hono rate limiters bring stores and options this single-process server does not need.
import type { MiddlewareHandler } from "hono";
import { errorJson } from "../../http/errors.ts";

export interface RateLimitOptions {
  /** Sustained requests per minute per key; 0 disables the limiter. */
  perMinute: number;
  /** Bucket size (burst); defaults to perMinute. */
  burst?: number;
  /** Identity of the caller: the API key when there is one, else the client address. */
  keyOf: (c: Parameters<MiddlewareHandler>[0]) => string;
  now?: () => number;
  /** Forget idle buckets beyond this many keys. */
  maxKeys?: number;
  /** Called for each refused request (metrics). */
  onLimited?: () => void;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly ratePerMs: number,
    private readonly burst: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Takes one token; returns 0 if allowed, else milliseconds until one is available. */
  take(key: string, now: number): number {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.ratePerMs);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / this.ratePerMs);
  }
}

export function rateLimit(opts: RateLimitOptions): MiddlewareHandler {
  if (opts.perMinute <= 0) return (_c, next) => next();
  const burst = opts.burst && opts.burst > 0 ? opts.burst : opts.perMinute;
  const buckets = new TokenBuckets(opts.perMinute / 60_000, burst, opts.maxKeys);
  const now = opts.now ?? (() => Date.now());
  return async (c, next) => {
    const waitMs = buckets.take(opts.keyOf(c), now());
    if (waitMs > 0) {
      opts.onLimited?.();
      const headers = { "Retry-After": String(Math.max(1, Math.ceil(waitMs / 1000))) };
      return errorJson(c, { status: 429, code: "rate_limited", message: `rate limit of ${opts.perMinute} requests per minute exceeded`, headers });
    }
    return next();
  };
}
