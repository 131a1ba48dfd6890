import type { Settings } from '@tasks/crdt';
import type { ReminderMessage } from './reminder-message.js';

/**
 * A way a reminder leaves the server besides the in-app inbox (which is a document write, done
 * by the scheduler itself): email, Web Push. `send` resolves once the message is handed over
 * (accepted by the SMTP server, by the push service); it throws to have the reminder retried.
 */
export interface ReminderChannel {
  /** Recorded in `reminder_jobs.channels_done` once delivered. */
  readonly name: string;
  /** Whether the user wants reminders this way (their settings). */
  enabled(settings: Settings): boolean;
  send(message: ReminderMessage, settings: Settings): Promise<void>;
  /**
   * Optional: called before a batch is sent with the users it goes to, so the channel reads
   * what it needs of them (addresses, subscriptions) in one query instead of one per message.
   */
  prepare?(userIds: readonly string[]): Promise<void>;
}
