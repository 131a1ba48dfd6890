/**
 * A sync's wall-clock deadline reaches the adapters as an AbortSignal (the worker's). These are
 * the two things each adapter's retry loop does with it: never wait out a backoff past it, and
 * let the abort's reason (the deadline's own error) out instead of a retry or a provider error.
 */

/** `sleep(ms)`, cut short by `signal`: then it rejects with the signal's reason. */
export function sleepUntilAborted(
  sleep: (ms: number) => Promise<void>,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (!signal) return sleep(ms);
  signal.throwIfAborted();
  let onAbort = () => {};
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([sleep(ms), aborted]).finally(() =>
    signal.removeEventListener('abort', onAbort),
  );
}

/** What a failed request throws: the abort's reason when `signal` ended it, else `error`. */
export function abortReasonOr(signal: AbortSignal | undefined, error: unknown): unknown {
  return signal?.aborted ? signal.reason : error;
}
