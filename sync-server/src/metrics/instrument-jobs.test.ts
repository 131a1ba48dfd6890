import type { Settings } from '@tasks/crdt';
import { describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { silentLogger } from '../logger.js';
import type { ReminderMessage } from '../notifications/reminder-message.js';
import { countReminders, recordCalendarSync } from './instrument-jobs.js';
import { parseScrape } from './prometheus-text.js';
import { createServerMetrics } from './server-metrics.js';

const metricsOnly = () =>
  createServerMetrics({
    db: {
      kind: 'pglite',
      query: () => Promise.reject(new Error('no database')),
    } as unknown as Database,
    clock: () => new Date('2030-01-01T00:00:00Z'),
    log: silentLogger,
    relay: () => null,
  });

describe('job instruments', () => {
  it('counts reminders by channel and outcome, and lets a failed send throw for its retry', async () => {
    const metrics = metricsOnly();
    let fail = false;
    const channel = countReminders(
      {
        name: 'email',
        enabled: () => true,
        async send() {
          if (fail) throw new Error('smtp down');
        },
      },
      metrics,
    );
    const message = {} as ReminderMessage;
    const settings = {} as Settings;
    await channel.send(message, settings);
    await channel.send(message, settings);
    fail = true;
    await expect(channel.send(message, settings)).rejects.toThrow('smtp down');
    expect(channel.name).toBe('email');
    const scrape = parseScrape(await metrics.registry.metrics());
    expect(scrape.value('tasks_reminders_sent_total', { channel: 'email', outcome: 'sent' })).toBe(
      2,
    );
    expect(
      scrape.value('tasks_reminders_sent_total', { channel: 'email', outcome: 'failed' }),
    ).toBe(1);
  });

  it('records calendar syncs by provider and outcome, in seconds', async () => {
    const metrics = metricsOnly();
    recordCalendarSync(metrics, { provider: 'MICROSOFT', outcome: 'failure', durationMs: 1500 });
    const scrape = parseScrape(await metrics.registry.metrics());
    const labels = { provider: 'microsoft', outcome: 'failure' };
    expect(scrape.value('tasks_calendar_syncs_total', labels)).toBe(1);
    expect(scrape.value('tasks_calendar_sync_duration_seconds_sum', labels)).toBe(1.5);
    // The job queue gauges leave the scrape empty of figures when the database fails.
    expect(scrape.value('tasks_job_queue_depth', { queue: 'reminder' })).toBeUndefined();
  });
});
