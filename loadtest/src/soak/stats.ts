// Pure bookkeeping of a soak run: what each request got, percentiles, and how honest the
// Retry-After values were — measured from the client side, without asking the server.

export type Outcome =
  | { kind: "status"; status: number; retryAfterS?: number; streamError?: string }
  /** The client gave up on purpose (a disconnect test). */
  | { kind: "aborted" }
  /** A transport failure: code such as ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, TIMEOUT. */
  | { kind: "error"; code: string };

export interface RequestRecord {
  /** valid: the sustainable load; overload: the 10× burst; shutdown: load across SIGTERM. */
  phase: "calibrate" | "valid" | "overload" | "shutdown";
  route: string;
  startMs: number;
  endMs: number;
  outcome: Outcome;
}

/** Nearest-rank percentile (p in 0..100); null for no values. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[rank - 1];
}

/** Counts by "200", "429", …, "aborted", "error:ECONNRESET". */
export function tally(records: RequestRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) {
    const k = r.outcome.kind === "status" ? String(r.outcome.status) : r.outcome.kind === "aborted" ? "aborted" : `error:${r.outcome.code}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/**
 * Requests that were let in (or should have been) and produced no text: any 5xx (503 during a
 * shutdown is a refusal, not a loss), a stream that ended in an error event, or a transport failure
 * other than a refused connection after the listener closed (or a deliberate abort).
 */
export function lostRequests(records: RequestRecord[]): RequestRecord[] {
  return records.filter((r) => {
    const o = r.outcome;
    if (o.kind === "aborted") return false;
    if (o.kind === "error") return !(r.phase === "shutdown" && o.code === "ECONNREFUSED");
    if (o.streamError !== undefined) return true;
    if (o.status === 503 && r.phase === "shutdown") return false;
    return o.status >= 500;
  });
}

export interface RetryAfterCheck {
  refusals: number;
  /** Refusals whose Retry-After lies within 2× of the time the queue really needed (±1 s for whole-second rounding). */
  within2x: number;
  medianRetryAfterS: number | null;
  medianNeededS: number | null;
  /** Median of Retry-After / needed over refusals where needed ≥ 1 s. */
  medianRatio: number | null;
}

/**
 * For each 429 answered at t with Retry-After R: the work it was refused behind is every request
 * sent before t that was admitted (answered 200); the time the queue really needed is the last of
 * their answers minus t.
 */
export function checkRetryAfter(records: RequestRecord[]): RetryAfterCheck {
  const ok = records.filter((r) => r.outcome.kind === "status" && r.outcome.status === 200).sort((a, b) => a.startMs - b.startMs);
  const refusals = records.filter((r) => r.outcome.kind === "status" && r.outcome.status === 429 && r.outcome.retryAfterS !== undefined);
  // prefix maximum of answer times over admitted requests sorted by send time
  const prefixMax: number[] = [];
  for (const r of ok) prefixMax.push(Math.max(prefixMax.at(-1) ?? -Infinity, r.endMs));
  const lastBefore = (t: number): number => {
    let lo = 0;
    let hi = ok.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ok[mid].startMs < t) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? -Infinity : prefixMax[lo - 1];
  };
  const ras: number[] = [];
  const needs: number[] = [];
  const ratios: number[] = [];
  let within = 0;
  for (const r of refusals) {
    const ra = (r.outcome as { retryAfterS: number }).retryAfterS;
    const needed = Math.max(0, (lastBefore(r.endMs) - r.endMs) / 1000);
    ras.push(ra);
    needs.push(needed);
    if (needed >= 1) ratios.push(ra / needed);
    if (ra <= 2 * needed + 1 && ra >= needed / 2 - 1) within++;
  }
  return { refusals: refusals.length, within2x: within, medianRetryAfterS: percentile(ras, 50), medianNeededS: percentile(needs, 50), medianRatio: percentile(ratios, 50) };
}
