import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CalendarProvider,
  type EventInput,
  InvalidCursorError,
  PreconditionFailedError,
  type ProviderEvent,
  UnsupportedEventError,
} from './calendar-provider.js';

export interface ContractSetup {
  provider: CalendarProvider;
  /**
   * What the provider does with a series that skips occurrences: keeps them (EXDATE), or, where
   * its API cannot say which occurrences a series skips (Graph), refuses it before writing.
   */
  skippedOccurrences: 'kept' | 'refused';
  /**
   * Changes one occurrence of a series in the backend as another calendar client would (the
   * bridge never writes occurrences): moves and renames it, or cancels it. `originalStart` and
   * the new times are UTC instants; the series is in Europe/Berlin.
   */
  editOccurrence(
    series: ProviderEvent,
    originalStart: string,
    change: OccurrenceChange | 'cancel',
  ): Promise<void>;
  dispose(): Promise<void>;
}

export interface OccurrenceChange {
  summary: string;
  start: string;
  end: string;
}

const timed = (overrides: Partial<EventInput> = {}): EventInput => ({
  summary: 'Write the report',
  description: 'Numbers first.\nThen the story.',
  start: { dateTime: '2025-10-15T13:00:00Z', timeZone: 'Europe/Paris' },
  end: { dateTime: '2025-10-15T15:00:00Z', timeZone: 'Europe/Paris' },
  recurrence: null,
  exceptions: [],
  taskId: randomUUID(),
  priority: 'HIGH',
  ...overrides,
});

/** The fields we wrote, as we expect to read them back. */
function written(event: ProviderEvent): EventInput {
  const { id: _id, etag: _etag, updatedAt: _updatedAt, overrides: _overrides, ...input } = event;
  return input;
}

/**
 * The behaviour every calendar provider adapter (and every fake) must show; each adapter runs it
 * against its backend in a few lines (automerge-repo's storage contract, vdirsyncer's
 * StorageTests).
 */
export function runCalendarProviderContract(
  name: string,
  setup: () => Promise<ContractSetup>,
): void {
  describe(`calendar provider contract: ${name}`, () => {
    let context: ContractSetup;
    let provider: CalendarProvider;
    beforeAll(async () => {
      context = await setup();
      provider = context.provider;
    }, 60_000);
    afterAll(async () => {
      await context?.dispose();
    });

    it('creates a timed event and reads back every field it wrote', async () => {
      const input = timed();
      const created = await provider.createEvent(input, randomUUID());
      expect(created.id).toBeTruthy();
      expect(created.etag).toBeTruthy();
      expect(Number.isNaN(Date.parse(created.updatedAt))).toBe(false);
      expect(written(created)).toEqual(input);
      expect(written((await provider.getEvent(created.id)) as ProviderEvent)).toEqual(input);
    });

    it('keeps an all-day event all-day, with its exclusive end date', async () => {
      const input = timed({
        start: { date: '2025-10-20' },
        end: { date: '2025-10-22' },
        priority: null,
      });
      const created = await provider.createEvent(input, randomUUID());
      expect(written((await provider.getEvent(created.id)) as ProviderEvent)).toEqual(input);
    });

    it('keeps a weekly recurrence in its time zone', async () => {
      const input = timed({
        start: { dateTime: '2025-03-24T08:00:00Z', timeZone: 'Europe/Paris' },
        end: { dateTime: '2025-03-24T09:00:00Z', timeZone: 'Europe/Paris' },
        recurrence: 'FREQ=WEEKLY;BYDAY=MO',
      });
      const created = await provider.createEvent(input, randomUUID());
      expect(written((await provider.getEvent(created.id)) as ProviderEvent)).toEqual(input);
    });

    it('keeps the occurrences a series skips, timed and all-day, through create and update', async () => {
      const weekly = timed({
        // Mondays 09:00 in Paris: 08:00Z in winter, 07:00Z after the change of 2025-03-30.
        start: { dateTime: '2025-03-24T08:00:00Z', timeZone: 'Europe/Paris' },
        end: { dateTime: '2025-03-24T09:00:00Z', timeZone: 'Europe/Paris' },
        recurrence: 'FREQ=WEEKLY;BYDAY=MO',
        exceptions: ['2025-03-31T07:00:00Z', '2025-04-14T07:00:00Z'],
      });
      const daily = timed({
        start: { date: '2025-12-22' },
        end: { date: '2025-12-23' },
        recurrence: 'FREQ=DAILY;COUNT=10',
        exceptions: ['2025-12-25', '2026-01-01'],
      });
      if (context.skippedOccurrences === 'refused') {
        for (const input of [weekly, daily]) {
          await expect(provider.createEvent(input, randomUUID())).rejects.toThrow(
            UnsupportedEventError,
          );
        }
        const { changed } = await provider.pullChanges(null);
        expect(changed.filter((event) => event.taskId === weekly.taskId)).toEqual([]);
        return;
      }
      for (const input of [weekly, daily]) {
        const created = await provider.createEvent(input, randomUUID());
        expect(written(created)).toEqual(input);
        // One more skipped, one given back.
        const changedInput = { ...input, exceptions: [input.exceptions[1] as string] };
        const updated = await provider.updateEvent(created.id, changedInput, created.etag);
        expect(written(updated)).toEqual(changedInput);
        expect(written((await provider.getEvent(created.id)) as ProviderEvent)).toEqual(
          changedInput,
        );
      }
    });

    it('reports the moved and cancelled occurrences of a series on the series, in full and incremental pulls', async () => {
      // Mondays 10:00 in Berlin: 08:00Z until the change of 26 October 2025, 09:00Z after it.
      const weekly = timed({
        summary: `Weekly sync ${randomUUID()}`,
        start: { dateTime: '2025-10-13T08:00:00Z', timeZone: 'Europe/Berlin' },
        end: { dateTime: '2025-10-13T08:30:00Z', timeZone: 'Europe/Berlin' },
        recurrence: 'FREQ=WEEKLY;BYDAY=MO',
        taskId: null,
        priority: null,
      });
      const series = await provider.createEvent(weekly, randomUUID());
      expect(series.overrides).toEqual([]);
      const { cursor } = await provider.pullChanges(null);
      await context.editOccurrence(series, '2025-10-20T08:00:00Z', {
        summary: 'Weekly sync, on Tuesday',
        start: '2025-10-21T12:00:00Z',
        end: '2025-10-21T12:30:00Z',
      });
      await context.editOccurrence(series, '2025-11-03T09:00:00Z', 'cancel');
      const expected = [
        [
          '2025-10-20T08:00:00Z',
          'Weekly sync, on Tuesday',
          '2025-10-21T12:00:00Z',
          '2025-10-21T12:30:00Z',
        ],
        ['2025-11-03T09:00:00Z', 'cancelled'],
      ];
      const shown = (event: ProviderEvent | undefined) =>
        event?.overrides.map((override) =>
          override.cancelled
            ? [override.originalStart, 'cancelled']
            : [
                override.originalStart,
                override.summary,
                ...[override.start, override.end].map((time) =>
                  'dateTime' in time
                    ? new Date(time.dateTime).toISOString().replace('.000', '')
                    : time.date,
                ),
              ],
        );
      const incremental = await provider.pullChanges(cursor);
      expect(incremental.deleted).toEqual([]);
      const ofSeries = (events: ProviderEvent[]) =>
        events.filter((event) => event.summary.startsWith('Weekly sync') || event.id === series.id);
      expect(ofSeries(incremental.changed).map((event) => event.id)).toEqual([series.id]);
      expect(shown(incremental.changed.find((event) => event.id === series.id))).toEqual(expected);
      const full = await provider.pullChanges(null);
      expect(ofSeries(full.changed).map((event) => event.id)).toEqual([series.id]);
      expect(shown(full.changed.find((event) => event.id === series.id))).toEqual(expected);
      expect(shown((await provider.getEvent(series.id)) ?? undefined)).toEqual(expected);
      expect(written((await provider.getEvent(series.id)) as ProviderEvent)).toEqual(weekly);
    });

    it('creates once per key, however often the create is retried', async () => {
      const key = randomUUID();
      const input = timed({ summary: `Once ${key}` });
      const first = await provider.createEvent(input, key);
      const again = await provider.createEvent(input, key);
      expect(again.id).toBe(first.id);
      const { changed } = await provider.pullChanges(null);
      expect(changed.filter((event) => event.summary === `Once ${key}`)).toHaveLength(1);
    });

    it('reports only what changed since a cursor: created, updated and deleted events', async () => {
      const first = await provider.pullChanges(null);
      const created = await provider.createEvent(
        timed({ summary: 'New since cursor' }),
        randomUUID(),
      );
      const victim = await provider.createEvent(timed({ summary: 'To be deleted' }), randomUUID());
      const second = await provider.pullChanges(first.cursor);
      expect(second.changed.map((event) => event.id).sort()).toEqual(
        [created.id, victim.id].sort(),
      );
      const updated = await provider.updateEvent(
        created.id,
        timed({ summary: 'Renamed' }),
        created.etag,
      );
      await provider.deleteEvent(victim.id, victim.etag);
      const third = await provider.pullChanges(second.cursor);
      expect(third.changed.map((event) => [event.id, event.summary])).toEqual([
        [updated.id, 'Renamed'],
      ]);
      expect(third.deleted).toEqual([victim.id]);
      const quiet = await provider.pullChanges(third.cursor);
      expect(quiet.changed).toEqual([]);
      expect(quiet.deleted).toEqual([]);
    });

    it('updates only the version it was given, and refuses a stale one', async () => {
      const created = await provider.createEvent(timed(), randomUUID());
      const updated = await provider.updateEvent(
        created.id,
        timed({ summary: 'First edit' }),
        created.etag,
      );
      expect(updated.etag).not.toBe(created.etag);
      await expect(
        provider.updateEvent(created.id, timed({ summary: 'Late edit' }), created.etag),
      ).rejects.toBeInstanceOf(PreconditionFailedError);
      expect((await provider.getEvent(created.id))?.summary).toBe('First edit');
    });

    it('deletes an event, and deleting it again is no error', async () => {
      const created = await provider.createEvent(timed(), randomUUID());
      await provider.deleteEvent(created.id, created.etag);
      expect(await provider.getEvent(created.id)).toBeNull();
      await provider.deleteEvent(created.id, created.etag);
      await provider.deleteEvent(created.id, null);
    });

    it('refuses a cursor it does not know with InvalidCursorError', async () => {
      await expect(provider.pullChanges('not-a-valid-cursor')).rejects.toBeInstanceOf(
        InvalidCursorError,
      );
    });
  });
}
