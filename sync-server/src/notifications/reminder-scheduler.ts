import {
  addInboxItem,
  getSettings,
  getTask,
  isReminderStillDue,
  reminderSchedule,
  type Settings,
} from '@tasks/crdt';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { DocumentChange } from '../relay/relay.js';
import type { DocumentAccess } from '../rest/document-access.js';
import type { ReminderChannel } from './reminder-channel.js';
import {
  createReminderJobStore,
  type ReminderJob,
  type ReminderJobStore,
  type ReminderJobStoreOptions,
} from './reminder-jobs.js';
import { type ReminderMessage, reminderMessage } from './reminder-message.js';

/**
 * Sends every reminder on time from the server, whether or not a device is online.
 *
 * Planning: the relay's change feed (`Relay.onDocumentChange`, as the calendar bridge uses it)
 * tells of each change to a user's main document; a short while later (`planDelayMs`, so a burst
 * of edits plans once) the scheduler reads the document's reminders (crdt's `reminderSchedule`)
 * and makes the user's pending jobs exactly those (`ReminderJobStore.replan`): a completed or
 * deleted task, a removed reminder or a moved date drops or moves its job.
 *
 * Sending: a poll every `pollIntervalMs` claims the due jobs (a lease; several servers take
 * different ones), checks each against the document as it is now (`isReminderStillDue`: nothing
 * goes out for a task completed a moment ago), writes the in-app notification into the user's
 * inbox under the job's id (so a retry writes it once), then hands the message to each other
 * channel the user turned on, recording each channel as done, and marks the job sent. A crash
 * anywhere leaves the job claimed until its lease ends; the next claim sends what is missing.
 */
export const REMINDER_ORIGIN = Symbol('reminders');

export const IN_APP_CHANNEL = 'in-app';

export interface ReminderSchedulerOptions {
  db: Database;
  access: DocumentAccess;
  /** The relay's change feed. */
  changes: (listener: (change: DocumentChange) => void) => () => void;
  log: Logger;
  clock: () => Date;
  channels?: readonly ReminderChannel[];
  /** Between polls for due reminders (default 5 s: every reminder goes out within a minute). */
  pollIntervalMs?: number;
  /** A change plans the user's reminders this long after it (default 1 s). */
  planDelayMs?: number;
  /** Jobs one claim takes (default 200). */
  batch?: number;
  /** Jobs delivered at once (default 32). */
  concurrency?: number;
  /**
   * A reminder set for a time already this far past when it is planned still goes out
   * (default 60 s: one set "now", or planned a moment late); older ones are not sent.
   */
  graceMs?: number;
  jobs?: Omit<ReminderJobStoreOptions, 'clock'>;
  /** Test hook: runs after a job is claimed, before anything is sent. */
  afterClaim?: (job: ReminderJob) => Promise<void>;
  /** false: `start` runs no poll and no change feed (tests that drive it by hand). */
  runJobs?: boolean;
}

export interface ReminderScheduler {
  readonly jobs: ReminderJobStore;
  start(): void;
  stop(): Promise<void>;
  /** Plans the user's reminders from their document now. */
  planUser(userId: string): Promise<{ added: number; removed: number }>;
  /** Sends every reminder due now; resolves with how many went out. */
  runDue(): Promise<number>;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Runs `work` over `items`, at most `limit` at once. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  });
  await Promise.all(lanes);
}

export function createReminderScheduler(options: ReminderSchedulerOptions): ReminderScheduler {
  const { db, access, log, clock } = options;
  const channels = options.channels ?? [];
  const pollIntervalMs = options.pollIntervalMs ?? 5000;
  const planDelayMs = options.planDelayMs ?? 1000;
  const batch = options.batch ?? 200;
  const concurrency = options.concurrency ?? 32;
  const graceMs = options.graceMs ?? 60_000;
  const jobs = createReminderJobStore(db, { clock, ...options.jobs });
  const planTimers = new Map<string, NodeJS.Timeout>();
  const planning = new Set<Promise<unknown>>();
  let pollTimer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  let unsubscribe: (() => void) | null = null;
  let stopped = false;

  async function planUser(userId: string) {
    const planned = await access.use(userId, [], (docs) => reminderSchedule(docs));
    return jobs.replan(userId, planned, new Date(clock().getTime() - graceMs));
  }

  function onDocumentChange(change: DocumentChange): void {
    // Month documents hold time entries; the scheduler's own inbox writes change no reminder.
    if (change.room !== change.ownerId || change.origin === REMINDER_ORIGIN || stopped) return;
    const userId = change.ownerId;
    if (planTimers.has(userId)) return;
    const timer = setTimeout(() => {
      planTimers.delete(userId);
      const plan = planUser(userId)
        .catch((error: unknown) =>
          log.warn('could not plan reminders', { userId, error: describe(error) }),
        )
        .finally(() => planning.delete(plan));
      planning.add(plan);
    }, planDelayMs);
    timer.unref();
    planTimers.set(userId, timer);
  }

  /**
   * Writes the in-app notification (when on) and reads what the message needs, in one go on
   * the document; null when the reminder is no longer due (its task done, deleted, moved).
   */
  async function prepare(
    job: ReminderJob,
  ): Promise<{ message: ReminderMessage; settings: Settings } | null> {
    return access.use(
      job.userId,
      [],
      (docs, ctx) => {
        const settings = getSettings(docs);
        const task = getTask(docs, job.taskId);
        if (
          !task ||
          !isReminderStillDue(docs, job.taskId, job.reminderKey, job.fireAt.toISOString(), settings)
        ) {
          return null;
        }
        const message = reminderMessage(task, job, settings.timezone);
        if (settings.notifyInApp && !job.channelsDone.includes(IN_APP_CHANNEL)) {
          addInboxItem(
            docs,
            {
              id: job.id,
              kind: 'reminder',
              title: message.title,
              body: message.body,
              payload: { taskId: task.id, fireAt: message.fireAt, dueDate: task.dueDate },
            },
            ctx,
          );
        }
        return { message, settings };
      },
      { origin: REMINDER_ORIGIN },
    );
  }

  async function deliver(job: ReminderJob): Promise<boolean> {
    try {
      await options.afterClaim?.(job);
      const prepared = await prepare(job);
      if (prepared === null) {
        await jobs.finish(job, 'cancelled');
        return false;
      }
      const { message, settings } = prepared;
      // The inbox write is durable once `access.use` resolved.
      if (settings.notifyInApp && !job.channelsDone.includes(IN_APP_CHANNEL)) {
        if (!(await jobs.markChannel(job, IN_APP_CHANNEL))) return false;
      }
      for (const channel of channels) {
        if (!channel.enabled(settings) || job.channelsDone.includes(channel.name)) continue;
        await channel.send(message, settings);
        // A lost claim: another server has the job now and sends what is still missing.
        if (!(await jobs.markChannel(job, channel.name))) return false;
      }
      return await jobs.finish(job, 'sent');
    } catch (error) {
      log.warn('could not send a reminder', {
        jobId: job.id,
        userId: job.userId,
        error: describe(error),
      });
      await jobs.fail(job, describe(error)).catch(() => undefined);
      return false;
    }
  }

  async function runDue(): Promise<number> {
    let sent = 0;
    for (;;) {
      const claimed = await jobs.claim(batch);
      await eachLimited(claimed, concurrency, async (job) => {
        if (await deliver(job)) sent += 1;
      });
      if (claimed.length < batch || stopped) return sent;
    }
  }

  function poll(): void {
    running ??= runDue()
      .catch((error: unknown) => {
        log.error('reminder poll failed', { error: describe(error) });
        return 0;
      })
      .finally(() => {
        running = null;
      });
  }

  return {
    jobs,
    start() {
      if (options.runJobs === false || pollTimer) return;
      stopped = false;
      unsubscribe = options.changes(onDocumentChange);
      pollTimer = setInterval(poll, pollIntervalMs);
      pollTimer.unref();
      poll();
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      unsubscribe = null;
      if (pollTimer) clearInterval(pollTimer);
      pollTimer = null;
      // Changes seen but not yet planned are planned now, so a restart loses none of them.
      const waiting = [...planTimers.keys()];
      for (const timer of planTimers.values()) clearTimeout(timer);
      planTimers.clear();
      await Promise.all([
        running,
        ...planning,
        ...waiting.map((userId) =>
          planUser(userId).catch((error: unknown) =>
            log.warn('could not plan reminders', { userId, error: describe(error) }),
          ),
        ),
      ]);
    },
    planUser,
    runDue,
  };
}
