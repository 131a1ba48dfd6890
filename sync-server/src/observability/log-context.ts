import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What every log line written on behalf of one piece of work carries: the request that started
 * it (a REST call, or the call that queued a calendar sync). Held in AsyncLocalStorage, so the
 * code in between (document writes, jobs queued, errors mapped) needs no extra parameter.
 */
export interface LogContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<LogContext | undefined>();

/**
 * Runs `work` with `context` attached to every log line it writes, awaited work included;
 * undefined runs it outside any request (a job queued by no one, a timer a request armed).
 */
export function runWithLogContext<R>(context: LogContext | undefined, work: () => R): R {
  return storage.run(context, work);
}

/** The context of the work running now, if any. */
export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}
