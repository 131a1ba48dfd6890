import { dailyAgenda, getSettings, nextAgenda, type Settings } from '@tasks/crdt';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { DocumentChange } from '../relay/relay.js';
import type { DocumentAccess } from '../rest/document-access.js';
import { agendaEmail } from './agenda-email.js';
import { calendarFailureEmail, readFailedConnection } from './calendar-failure-email.js';
import type { Mailer, UserEmail } from './email-channel.js';
import {
  createEmailJobStore,
  type EmailJob,
  type EmailJobStore,
  type EmailJobStoreOptions,
} from './email-jobs.js';
import { createJobLoop, describeError } from './job-loop.js';

/**
 * Sends the emails that are not reminders, from the `email_jobs` queue:
 *
 * - the **daily agenda**, at the user's `agendaTime` in their zone (crdt's `nextAgenda`,
 *   DST-correct). A change to the user's document plans their next agenda (or unplans it when
 *   turned off or moved); sending one plans the next day's. The job's key is the local day, so
 *   a day's agenda is planned once and sent once, across retries, crashes and servers. One not
 *   sent within `agendaLateMs` of its time (the server was down) is dropped, not sent at noon.
 *   It goes out whatever the email channel of reminders says: choosing a time asks for it.
 * - the **calendar-failure** message, queued by the connection store when a connection starts
 *   failing (once per failure episode), sent only when the user has email on (`notifyEmail`)
 *   and failure emails too (`emailCalendarFailures`), and the connection is still failing.
 *
 * Without SMTP (`mailer` null) nothing is planned and nothing sent.
 */
export interface EmailSchedulerOptions {
  db: Database;
  access: DocumentAccess;
  mailer: Mailer | null;
  changes: (listener: (change: DocumentChange) => void) => () => void;
  log: Logger;
  clock: () => Date;
  /** Between polls (default 5 s). */
  pollIntervalMs?: number;
  /** A change plans the user's agenda this long after it (default 1 s). */
  planDelayMs?: number;
  /** An agenda this late is dropped (default 2 hours). */
  agendaLateMs?: number;
  jobs?: Omit<EmailJobStoreOptions, 'clock'>;
  /** false: `start` runs no poll and no change feed (tests that drive it by hand). */
  runJobs?: boolean;
}

export interface EmailScheduler {
  readonly jobs: EmailJobStore;
  start(): void;
  stop(): Promise<void>;
  /** Plans the user's next agenda from their settings now; returns its day, or null. */
  planAgenda(userId: string): Promise<string | null>;
  /** Sends every email due now; resolves with how many went out. */
  runDue(): Promise<number>;
}

const BATCH = 50;

export function createEmailScheduler(options: EmailSchedulerOptions): EmailScheduler {
  const { db, access, mailer, log, clock } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 5000;
  const planDelayMs = options.planDelayMs ?? 1000;
  const agendaLateMs = options.agendaLateMs ?? 2 * 3600_000;
  const jobs = createEmailJobStore(db, { clock, ...options.jobs });

  /**
   * The agenda days to keep planned: the next one, and the one due within the last
   * `agendaLateMs` (not yet sent: the server was down at its time) so a change now drops neither.
   */
  function agendaDays(settings: Settings): { day: string; at: string }[] {
    const now = clock().getTime();
    const late = nextAgenda(settings, new Date(now - agendaLateMs));
    // Strictly after now: one due this very moment is `late`'s (and may have just been sent).
    const next = nextAgenda(settings, new Date(now + 1));
    return [late, next].filter(
      (item, i, all): item is { day: string; at: string } =>
        item !== null && all.findIndex((other) => other?.day === item.day) === i,
    );
  }

  async function planAgenda(userId: string): Promise<string | null> {
    const settings = await access.use(userId, [], (docs) => getSettings(docs));
    const days = mailer === null ? [] : agendaDays(settings);
    await jobs.unplan(
      userId,
      'agenda',
      days.map((item) => item.day),
    );
    for (const item of days) {
      await jobs.plan({ userId, kind: 'agenda', key: item.day, fireAt: new Date(item.at) });
    }
    return days.at(-1)?.day ?? null;
  }

  /** The email a job sends now, or null when it is no longer wanted. */
  async function compose(job: EmailJob, sender: Mailer): Promise<UserEmail | null> {
    if (job.kind === 'agenda') {
      if (clock().getTime() - job.fireAt.getTime() > agendaLateMs) return null;
      return access.use(job.userId, [], (docs) => {
        const settings = getSettings(docs);
        // Moved or turned off since it was planned (the re-plan may not have run yet).
        const planned = nextAgenda(settings, new Date(job.fireAt.getTime() - 1));
        if (
          planned === null ||
          planned.day !== job.key ||
          Date.parse(planned.at) !== job.fireAt.getTime()
        ) {
          return null;
        }
        return agendaEmail(dailyAgenda(docs, job.key, settings.timezone), job, sender.publicUrl);
      });
    }
    const connectionId = job.payload.connectionId;
    if (typeof connectionId !== 'string')
      throw new Error('calendar-failure job without a connection');
    const settings = await access.use(job.userId, [], (docs) => getSettings(docs));
    if (!settings.notifyEmail || !settings.emailCalendarFailures) return null;
    const connection = await readFailedConnection(db, connectionId);
    return connection === null ? null : calendarFailureEmail(connection, job, sender.publicUrl);
  }

  async function deliver(job: EmailJob, sender: Mailer): Promise<boolean> {
    try {
      const email = await compose(job, sender);
      const sent = email !== null && (await sender.send(email));
      const finished = await jobs.finish([job], sent ? 'sent' : 'cancelled');
      if (job.kind === 'agenda') await planAgenda(job.userId);
      return sent && finished.has(job.id);
    } catch (error) {
      log.warn('could not send an email', {
        jobId: job.id,
        kind: job.kind,
        userId: job.userId,
        error: describeError(error),
      });
      await jobs.fail(job, describeError(error)).catch(() => undefined);
      return false;
    }
  }

  /**
   * Finished jobs go after a week, hourly: long after their day, so a re-plan cannot meet a
   * day whose sent row is gone (only today's and tomorrow's agendas are ever planned).
   */
  let prunedAt = 0;
  async function pruneHourly(): Promise<void> {
    const now = clock().getTime();
    if (now - prunedAt < 3600_000) return;
    prunedAt = now;
    await jobs.prune(new Date(now - 7 * 24 * 3600_000));
  }

  async function runDue(): Promise<number> {
    if (mailer === null) return 0;
    await pruneHourly();
    let sent = 0;
    for (;;) {
      const claimed = await jobs.claim(BATCH);
      const results = await Promise.all(claimed.map((job) => deliver(job, mailer)));
      sent += results.filter(Boolean).length;
      if (claimed.length < BATCH || loop.stopped) return sent;
    }
  }

  const loop = createJobLoop({
    changes: options.changes,
    log,
    what: 'emails',
    pollIntervalMs,
    planDelayMs,
    plan: planAgenda,
    runDue,
  });

  return {
    jobs,
    start() {
      if (options.runJobs !== false && mailer !== null) loop.start();
    },
    stop: () => loop.stop(),
    planAgenda,
    runDue,
  };
}
