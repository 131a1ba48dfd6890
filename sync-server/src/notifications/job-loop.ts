import type { Logger } from '../logger.js';
import type { DocumentChange } from '../relay/relay.js';

/**
 * What the reminder and email schedulers share: the relay's change feed plans a user's jobs a
 * short while after a change to their main document (`planDelayMs`, so a burst of edits plans
 * once), and a poll every `pollIntervalMs` sends what is due, one round at a time. `stop` ends
 * both, waits for the running round and plans the changes seen but not yet planned, so a restart
 * loses none of them.
 */
export interface JobLoopOptions {
  changes: (listener: (change: DocumentChange) => void) => () => void;
  log: Logger;
  /** What the loop does, for its log lines (`reminders`, `emails`). */
  what: string;
  pollIntervalMs: number;
  planDelayMs: number;
  /** Plans the user's jobs from their document. */
  plan(userId: string): Promise<unknown>;
  /** Sends what is due now. */
  runDue(): Promise<number>;
  /** Changes that plan nothing (the scheduler's own writes). */
  ignore?(change: DocumentChange): boolean;
}

export interface JobLoop {
  start(): void;
  stop(): Promise<void>;
  readonly stopped: boolean;
}

export const describeError = (error: unknown) =>
  error instanceof Error ? error.message : String(error);

export function createJobLoop(options: JobLoopOptions): JobLoop {
  const { log, what } = options;
  const planTimers = new Map<string, NodeJS.Timeout>();
  const planning = new Set<Promise<unknown>>();
  let pollTimer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  let unsubscribe: (() => void) | null = null;
  let stopped = false;

  const plan = (userId: string) =>
    options
      .plan(userId)
      .catch((error: unknown) =>
        log.warn(`could not plan ${what}`, { userId, error: describeError(error) }),
      );

  function onDocumentChange(change: DocumentChange): void {
    // Month documents hold time entries: nothing to plan from them.
    if (change.room !== change.ownerId || stopped || options.ignore?.(change)) return;
    const userId = change.ownerId;
    if (planTimers.has(userId)) return;
    const timer = setTimeout(() => {
      planTimers.delete(userId);
      const planned = plan(userId).finally(() => planning.delete(planned));
      planning.add(planned);
    }, options.planDelayMs);
    timer.unref();
    planTimers.set(userId, timer);
  }

  function poll(): void {
    running ??= options
      .runDue()
      .catch((error: unknown) => {
        log.error(`${what} poll failed`, { error: describeError(error) });
        return 0;
      })
      .finally(() => {
        running = null;
      });
  }

  return {
    get stopped() {
      return stopped;
    },
    start() {
      if (pollTimer) return;
      stopped = false;
      unsubscribe = options.changes(onDocumentChange);
      pollTimer = setInterval(poll, options.pollIntervalMs);
      pollTimer.unref();
      poll();
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      unsubscribe = null;
      if (pollTimer) clearInterval(pollTimer);
      pollTimer = null;
      const waiting = [...planTimers.keys()];
      for (const timer of planTimers.values()) clearTimeout(timer);
      planTimers.clear();
      await Promise.all([running, ...planning, ...waiting.map(plan)]);
    },
  };
}
