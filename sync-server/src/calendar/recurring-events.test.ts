import { randomUUID } from 'node:crypto';
import {
  type CalendarProvider,
  createGoogleCalendarProvider,
  createGraphCalendarProvider,
  type EventInput,
  editCaldavOccurrence,
  ensureRadicaleInstalled,
  type ProviderEvent,
  startFakeGoogleCalendar,
  startFakeGraphCalendar,
} from '@tasks/connectors';
import { listCalendarEvents } from '@tasks/crdt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import { insertSyncConnection, insertTestUser } from './connection-test-rows.js';
import { runSync } from './sync-engine.js';
import { openRadicaleCalendar, openSyncFixture, type SyncFixture } from './sync-test-fixture.js';

/**
 * A weekly meeting made in another calendar (Google, Outlook, CalDAV) shows on every week it
 * happens once the bridge has synced it: through each provider's adapter (the fakes of Google
 * and Graph, a real Radicale), the sync engine and the user's document.
 */

const hasRadicale = await ensureRadicaleInstalled();

// Friday 20 March 2026: the sync window is 30 days back and 180 ahead. The series began on
// Monday 5 January, before the window, at 10:00 Berlin time (09:00Z; 08:00Z from 29 March).
const NOW = new Date('2026-03-20T12:00:00Z');
const clock = () => NOW;
const WINDOW = {
  start: new Date('2026-02-18T12:00:00Z'),
  end: new Date('2026-09-16T12:00:00Z'),
};
const WEEKLY: EventInput = {
  summary: 'Weekly sync',
  description: '',
  start: { dateTime: '2026-01-05T09:00:00Z', timeZone: 'Europe/Berlin' },
  end: { dateTime: '2026-01-05T09:30:00Z', timeZone: 'Europe/Berlin' },
  recurrence: 'FREQ=WEEKLY;BYDAY=MO',
  exceptions: [],
  taskId: null,
  priority: null,
};
const MOVED = {
  summary: 'Weekly sync (Tuesday)',
  start: '2026-03-24T13:00:00Z',
  end: '2026-03-24T13:30:00Z',
};
const FOUR_WEEKS = { from: new Date('2026-03-16T00:00:00Z'), to: new Date('2026-04-14T00:00:00Z') };

type EditOccurrence = (
  series: ProviderEvent,
  originalStart: string,
  change: typeof MOVED | 'cancel',
) => Promise<void>;

interface Backend {
  provider: CalendarProvider;
  editOccurrence: EditOccurrence;
  close(): Promise<void>;
}

const backends: Record<string, () => Promise<Backend>> = {
  'Google (fake)': async () => {
    const fake = await startFakeGoogleCalendar({ clock });
    return {
      provider: createGoogleCalendarProvider({
        rootUrl: fake.url,
        accessToken: async () => fake.token,
        calendarId: fake.calendarId,
      }),
      editOccurrence: async (series, originalStart, change) =>
        void fake.editOccurrence(series.id, originalStart, change),
      close: () => fake.close(),
    };
  },
  'Outlook (fake Graph)': async () => {
    const fake = await startFakeGraphCalendar({ clock });
    return {
      provider: createGraphCalendarProvider({
        baseUrl: fake.url,
        accessToken: async () => fake.token,
        calendarId: fake.calendarId,
        window: () => WINDOW,
      }),
      editOccurrence: async (series, originalStart, change) =>
        fake.editOccurrence(series.id, originalStart, change),
      close: () => fake.close(),
    };
  },
};
if (hasRadicale) {
  backends['CalDAV (Radicale)'] = async () => {
    const { server, provider, authorization } = await openRadicaleCalendar(clock);
    return {
      provider,
      editOccurrence: (series, originalStart, change) =>
        editCaldavOccurrence(new URL(series.id, server.url), authorization, originalStart, change),
      close: () => server.close(),
    };
  };
}

describe.each(testDatabaseKinds())(
  'a recurring event from another calendar, through the sync engine on %s',
  (kind) => {
    let test: SyncFixture;
    beforeAll(async () => {
      test = await openSyncFixture(kind, { docQuotaBytes: 10_000_000, clock });
    }, 60_000);
    afterAll(async () => {
      await test?.dispose();
    });

    for (const [name, open] of Object.entries(backends)) {
      it(`${name}: shows every week, then the moved and the cancelled occurrence`, async () => {
        const backend = await open();
        try {
          const userId = await insertTestUser(test.db);
          const connectionId = await insertSyncConnection(test.db, userId, backend.provider.name);
          const sync = () =>
            runSync({
              connectionId,
              provider: backend.provider,
              userId,
              db: test.db,
              access: test.access,
              clock,
            });
          const shown = () =>
            test.access.use(userId, [], (docs) =>
              listCalendarEvents(docs, FOUR_WEEKS).map((event) => [event.title, event.start]),
            );
          const series = await backend.provider.createEvent(WEEKLY, randomUUID());

          await sync();
          expect(await shown()).toEqual([
            ['Weekly sync', '2026-03-16T09:00:00.000Z'],
            ['Weekly sync', '2026-03-23T09:00:00.000Z'],
            ['Weekly sync', '2026-03-30T08:00:00.000Z'],
            ['Weekly sync', '2026-04-06T08:00:00.000Z'],
            ['Weekly sync', '2026-04-13T08:00:00.000Z'],
          ]);

          await backend.editOccurrence(series, '2026-03-23T09:00:00Z', MOVED);
          await backend.editOccurrence(series, '2026-04-06T08:00:00Z', 'cancel');
          await sync();
          expect(await shown()).toEqual([
            ['Weekly sync', '2026-03-16T09:00:00.000Z'],
            ['Weekly sync (Tuesday)', '2026-03-24T13:00:00.000Z'],
            ['Weekly sync', '2026-03-30T08:00:00.000Z'],
            ['Weekly sync', '2026-04-13T08:00:00.000Z'],
          ]);
        } finally {
          await backend.close();
        }
      }, 60_000);
    }
  },
);
