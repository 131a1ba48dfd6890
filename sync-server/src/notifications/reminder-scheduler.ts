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
import { createJobLoop, describeError } from './job-loop.js';
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
 * channel the user turned on, recording each channel as done, and marks the job sent. It does
 * so a batch at a time (`deliverBatch`), claimed grouped by user (`ReminderJobStore.claim`):
 * each user's document once, each step's bookkeeping one statement, each channel's sends
 * `concurrency` at once. A crash anywhere leaves the job claimed
 * until its lease ends; the next claim sends what is missing.
 */
export const REMINDER_ORIGIN = Symbol('reminders');

export const IN_APP_CHANNEL = 'in-app';

/** Users remembered as having nothing planned (a Set's insertion order evicts the oldest). */
const MAX_USERS_PLANNED_NOTHING = 100_000;

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
  /**
   * Jobs one claim takes (default 1,000): a user's jobs in one batch share one document read;
   * a batch must finish well within the claim's lease (2 minutes).
   */
  batch?: number;
  /** Users' documents read, and messages sent per channel, at once (default 64). */
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
  /** Told how many reminders a batch wrote into inboxes (the metrics' in-app channel). */
  onInAppSent?: (count: number) => void;
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
  const batch = options.batch ?? 1000;
  const concurrency = options.concurrency ?? 64;
  const graceMs = options.graceMs ?? 60_000;
  const jobs = createReminderJobStore(db, { clock, ...options.jobs });

  // Users whose last plan here had no reminder and was stored: planning nothing again stores
  // nothing (most users' edits; a pending job another server left is checked before sending).
  const plannedNothing = new Set<string>();
  async function planUser(userId: string) {
    const planned = await access.use(userId, [], (docs) => reminderSchedule(docs));
    if (planned.length === 0 && plannedNothing.has(userId)) return { added: 0, removed: 0 };
    plannedNothing.delete(userId);
    const result = await jobs.replan(userId, planned, new Date(clock().getTime() - graceMs));
    if (planned.length === 0) {
      plannedNothing.add(userId);
      if (plannedNothing.size > MAX_USERS_PLANNED_NOTHING) {
        const oldest = plannedNothing.values().next();
        if (!oldest.done) plannedNothing.delete(oldest.value);
      }
    }
    return result;
  }

  interface Ready {
    job: ReminderJob;
    message: ReminderMessage;
    settings: Settings;
  }

  /**
   * One user's claimed jobs against their document as it is now, in one go: writes the in-app
   * notifications (when on, under each job's id, so a retry writes it once) and reads what the
   * messages need. Jobs no longer due (task done, deleted, moved) come back as `gone`.
   */
  async function prepareUser(
    userId: string,
    userJobs: readonly ReminderJob[],
  ): Promise<{ ready: Ready[]; gone: ReminderJob[]; inApp: ReminderJob[] }> {
    return access.use(
      userId,
      [],
      (docs, ctx) => {
        const settings = getSettings(docs);
        const ready: Ready[] = [];
        const gone: ReminderJob[] = [];
        const inApp: ReminderJob[] = [];
        for (const job of userJobs) {
          const task = getTask(docs, job.taskId);
          if (
            !task ||
            !isReminderStillDue(
              docs,
              job.taskId,
              job.reminderKey,
              job.fireAt.toISOString(),
              settings,
            )
          ) {
            gone.push(job);
            continue;
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
            inApp.push(job);
          }
          ready.push({ job, message, settings });
        }
        return { ready, gone, inApp };
      },
      { origin: REMINDER_ORIGIN },
    );
  }

  async function failJob(job: ReminderJob, error: unknown): Promise<void> {
    log.warn('could not send a reminder', {
      jobId: job.id,
      userId: job.userId,
      error: describeError(error),
    });
    await jobs.fail(job, describeError(error)).catch(() => undefined);
  }

  /**
   * Delivers a claimed batch in phases, each one statement for the whole batch where it writes
   * to the queue: every user's document read (and in-app write) once, the cancelled ones ended,
   * each channel sent to with `concurrency` requests at once and recorded, the rest marked sent.
   * A job whose claim was lost at any step drops out (its new owner sends what is missing).
   */
  async function deliverBatch(claimed: readonly ReminderJob[]): Promise<number> {
    const byUser = new Map<string, ReminderJob[]>();
    for (const job of claimed) {
      const list = byUser.get(job.userId);
      if (list) list.push(job);
      else byUser.set(job.userId, [job]);
    }
    let ready: Ready[] = [];
    const gone: ReminderJob[] = [];
    const inApp: ReminderJob[] = [];
    await eachLimited([...byUser], concurrency, async ([userId, userJobs]) => {
      try {
        const prepared = await prepareUser(userId, userJobs);
        ready.push(...prepared.ready);
        gone.push(...prepared.gone);
        inApp.push(...prepared.inApp);
      } catch (error) {
        for (const job of userJobs) await failJob(job, error);
      }
    });
    await jobs.finish(gone, 'cancelled');
    // The inbox writes are durable once `access.use` resolved.
    const marked = await jobs.markChannel(inApp, IN_APP_CHANNEL);
    if (marked.size > 0) options.onInAppSent?.(marked.size);
    const lost = new Set(inApp.filter((job) => !marked.has(job.id)).map((job) => job.id));
    ready = ready.filter((item) => !lost.has(item.job.id));
    for (const channel of channels) {
      const targets = ready.filter(
        (item) => channel.enabled(item.settings) && !item.job.channelsDone.includes(channel.name),
      );
      if (targets.length === 0) continue;
      await channel.prepare?.([...new Set(targets.map((item) => item.job.userId))]);
      const delivered: ReminderJob[] = [];
      const failed = new Set<string>();
      await eachLimited(targets, concurrency, async ({ job, message, settings }) => {
        try {
          await channel.send(message, settings);
          delivered.push(job);
        } catch (error) {
          failed.add(job.id);
          await failJob(job, error);
        }
      });
      const recorded = await jobs.markChannel(delivered, channel.name);
      const sentNow = new Set(delivered.map((job) => job.id));
      ready = ready.filter(
        (item) =>
          !failed.has(item.job.id) && (recorded.has(item.job.id) || !sentNow.has(item.job.id)),
      );
    }
    return (
      await jobs.finish(
        ready.map((item) => item.job),
        'sent',
      )
    ).size;
  }

  async function runDue(): Promise<number> {
    let sent = 0;
    for (;;) {
      const claimed = await jobs.claim(batch);
      const live: ReminderJob[] = [];
      for (const job of claimed) {
        try {
          await options.afterClaim?.(job);
          live.push(job);
        } catch (error) {
          await failJob(job, error);
        }
      }
      sent += await deliverBatch(live);
      // A claim grouped by user can come back short of `batch` with more jobs due: claim until
      // none is left (what this round claimed stays leased, so each claim takes new jobs).
      if (claimed.length === 0 || loop.stopped) return sent;
    }
  }

  const loop = createJobLoop({
    changes: options.changes,
    log,
    what: 'reminders',
    pollIntervalMs,
    planDelayMs,
    plan: planUser,
    runDue,
    // The scheduler's own inbox writes change no reminder.
    ignore: (change) => change.origin === REMINDER_ORIGIN,
  });

  return {
    jobs,
    start() {
      if (options.runJobs !== false) loop.start();
    },
    stop: () => loop.stop(),
    planUser,
    runDue,
  };
}
