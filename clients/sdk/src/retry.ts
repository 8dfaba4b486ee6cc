// Backoff between attempts: the server's Retry-After when it sent one (never sooner), otherwise
// exponential with "equal jitter" (half the cap fixed, half random: synchronized clients spread out,
// yet no wait collapses to ~0).

export interface BackoffOptions {
  retryBaseMs: number;
  maxRetryDelayMs: number;
}

/** Delay before retry number `attempt + 1`; undefined when Retry-After asks for more than maxRetryDelayMs. */
export function retryDelayMs(attempt: number, retryAfterMs: number | undefined, o: BackoffOptions, random: () => number = Math.random): number | undefined {
  if (retryAfterMs !== undefined) return retryAfterMs <= o.maxRetryDelayMs ? retryAfterMs : undefined;
  const cap = Math.min(o.maxRetryDelayMs, o.retryBaseMs * 2 ** attempt);
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/** setTimeout as a promise that rejects with the signal's reason when it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
