// Combining abort signals on every runtime the SDK supports (Node ≥ 18, browsers): the client's own
// deadline and the caller's signal, whichever fires first.

type AnyFn = (signals: AbortSignal[]) => AbortSignal;

/** The runtime's AbortSignal.any (Node ≥ 20.3, current browsers), or null (Node 18). */
const nativeAny: AnyFn | null = (AbortSignal as { any?: AnyFn }).any?.bind(AbortSignal) ?? null;

/** A signal that aborts with the reason of the first of `signals` to abort. `native: null` forces the fallback (tests). */
export function anySignal(signals: AbortSignal[], native: AnyFn | null = nativeAny): AbortSignal {
  if (native) return native(signals);
  const ac = new AbortController();
  const first = signals.find((s) => s.aborted);
  if (first) {
    ac.abort(first.reason);
    return ac.signal;
  }
  const listeners = signals.map((s) => {
    const l = () => {
      signals.forEach((x, i) => x.removeEventListener("abort", listeners[i]));
      ac.abort(s.reason);
    };
    s.addEventListener("abort", l, { once: true });
    return l;
  });
  return ac.signal;
}
