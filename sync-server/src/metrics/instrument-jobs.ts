import type { ReminderChannel } from '../notifications/reminder-channel.js';
import type { ServerMetrics } from './server-metrics.js';

/** How one calendar sync ended, as the bridge reports it (`onSyncFinished`). */
export interface CalendarSyncRun {
  provider: string;
  outcome: 'success' | 'failure';
  durationMs: number;
}

export function recordCalendarSync(
  metrics: Pick<ServerMetrics, 'calendarSyncs' | 'calendarSyncDuration'>,
  run: CalendarSyncRun,
): void {
  const labels = { provider: run.provider.toLowerCase(), outcome: run.outcome };
  metrics.calendarSyncs.inc(labels);
  metrics.calendarSyncDuration.observe(labels, run.durationMs / 1000);
}

/** The channel, counting each reminder it hands over (or fails to) by its name. */
export function countReminders(
  channel: ReminderChannel,
  metrics: Pick<ServerMetrics, 'remindersSent'>,
): ReminderChannel {
  return {
    ...channel,
    name: channel.name,
    enabled: (settings) => channel.enabled(settings),
    async send(message, settings) {
      try {
        await channel.send(message, settings);
        metrics.remindersSent.inc({ channel: channel.name, outcome: 'sent' });
      } catch (error) {
        metrics.remindersSent.inc({ channel: channel.name, outcome: 'failed' });
        throw error;
      }
    },
  };
}
