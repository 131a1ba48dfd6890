import type { Logger } from './logger.js';

/** The parts of `process` the policy uses (an EventEmitter with an `exit` in tests). */
export interface ProcessLike {
  on(event: 'uncaughtException', listener: (error: Error, origin: string) => void): unknown;
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  exit(code: number): void;
}

export interface FailurePolicyDeps {
  process: ProcessLike;
  log: Logger;
  /** The graceful stop of SIGTERM: no new connections, pending updates committed. */
  shutdown: () => Promise<void>;
  /** How long the graceful stop may take before the process exits anyway. */
  shutdownDeadlineMs?: number;
}

/**
 * What the process does with an exception nothing else caught (`uncaughtException`,
 * `unhandledRejection`): log it with its stack and origin, stop gracefully (the SIGTERM path, so
 * updates still in the commit window reach the database) within a deadline (10 s), then exit with
 * status 1 so the supervisor (systemd, Docker, Kubernetes) starts a clean process. Such an error
 * is a bug of ours and may have left shared state (a room, a connection set, a transaction)
 * half-updated; serving on would risk wrong data for every user, while a restart costs each
 * device one reconnect (clients resend what was not acknowledged as durable, PROTOCOL.md).
 *
 * A client's input never gets here: request-scoped errors stop at their own boundary (Hono's
 * `onError` answers 500, the upgrade handler closes its one socket, the relay closes its one
 * connection, the calendar bridge logs a failed sync), and Node's parser answers malformed HTTP
 * with a 4xx itself. A second error during the stop is logged and changes nothing.
 */
export function exitOnUnexpectedErrors(deps: FailurePolicyDeps): void {
  const deadlineMs = deps.shutdownDeadlineMs ?? 10_000;
  let stopping = false;
  const fail = (event: string, reason: unknown, origin?: string) => {
    deps.log.error('unexpected error, shutting down', {
      event,
      ...(origin ? { origin } : {}),
      error: reason instanceof Error ? (reason.stack ?? reason.message) : String(reason),
      ...(stopping ? { during: 'shutdown' } : {}),
    });
    if (stopping) return;
    stopping = true;
    const deadline = setTimeout(() => {
      deps.log.error('shutdown deadline passed, exiting', { deadlineMs });
      deps.process.exit(1);
    }, deadlineMs); // not unref'd: an empty event loop must not end the process with status 0
    // `shutdown` is called inside the chain: a synchronous throw from it is caught there too.
    Promise.resolve()
      .then(() => deps.shutdown())
      .catch((error: unknown) => {
        deps.log.error('shutdown failed', {
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
      })
      .finally(() => {
        clearTimeout(deadline);
        deps.process.exit(1);
      });
  };
  deps.process.on('uncaughtException', (error, origin) => fail('uncaughtException', error, origin));
  deps.process.on('unhandledRejection', (reason) => fail('unhandledRejection', reason));
}
