import { randomUUID } from 'node:crypto';
import {
  type CalendarProvider,
  ensureRadicaleInstalled,
  type ProviderEvent,
} from '@tasks/connectors';
import {
  blockEventMarker,
  createTask,
  listBlocksBetween,
  listCalendarEvents,
  moveBlock,
  planAndApplySchedule,
  type TaskBlock,
  updateSettings,
  updateTask,
} from '@tasks/crdt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import { insertSyncConnection, insertTestUser } from './connection-test-rows.js';
import { runSync } from './sync-engine.js';
import {
  openRadicaleCalendar,
  openRadicaleCalendars,
  openSyncFixture,
  type SyncFixture,
} from './sync-test-fixture.js';

/**
 * "Put planned blocks in my calendar" against a real CalDAV server (Radicale): the week is planned
 * around a meeting made in the calendar, each block shows there as one event (never mirrored back
 * as busy time), a re-sync writes nothing twice, a moved block moves its event, and a completed
 * task's blocks and all blocks once the setting is off leave the calendar. With two calendars
 * connected (two Radicale collections), each block is an event in exactly one of them: the first
 * connected by default, the one the settings name once named; naming the other moves every block
 * event across, and a paused or removed named calendar hands them back to the first.
 */

const hasRadicale = await ensureRadicaleInstalled();

// Monday 23 March 2026, 07:00 in Berlin (UTC+1 until the 29th).
const NOW = new Date('2026-03-23T06:00:00Z');
const clock = () => NOW;
const WEEK = { from: new Date('2026-03-23T00:00:00Z'), to: new Date('2026-03-28T00:00:00Z') };
const MEETING = {
  summary: 'Design review',
  description: '',
  // 09:00–12:00 Berlin on the Monday: the first working morning is busy.
  start: { dateTime: '2026-03-23T08:00:00Z', timeZone: 'Europe/Berlin' },
  end: { dateTime: '2026-03-23T11:00:00Z', timeZone: 'Europe/Berlin' },
  recurrence: null,
  exceptions: [],
  taskId: null,
  priority: null,
};

async function allEvents(provider: CalendarProvider): Promise<ProviderEvent[]> {
  const { changed } = await provider.pullChanges(null);
  return [...changed].sort((a, b) => a.id.localeCompare(b.id));
}

const blockEvents = (events: ProviderEvent[]) =>
  events
    .filter((event) => event.taskId?.startsWith('block:'))
    .map((event) => ({
      marker: event.taskId,
      summary: event.summary,
      start: 'dateTime' in event.start ? new Date(event.start.dateTime).toISOString() : '',
      end: 'dateTime' in event.end ? new Date(event.end.dateTime).toISOString() : '',
    }))
    .sort((a, b) => a.start.localeCompare(b.start));

/** The markers of the block events in a calendar, sorted. */
async function blockMarkers(provider: CalendarProvider): Promise<(string | null)[]> {
  return blockEvents(await allEvents(provider))
    .map((event) => event.marker)
    .sort();
}

const asEvents = (blocks: TaskBlock[], titles: Map<string, string>) =>
  blocks
    .map((block) => ({
      marker: blockEventMarker(block.taskId, block.id),
      summary: titles.get(block.taskId),
      start: new Date(block.start).toISOString(),
      end: new Date(block.end).toISOString(),
    }))
    .sort((a, b) => a.start.localeCompare(b.start));

describe.each(testDatabaseKinds())(
  'planned blocks in a CalDAV calendar (Radicale), on %s',
  (kind) => {
    let test: SyncFixture;
    beforeAll(async () => {
      test = await openSyncFixture(kind, { docQuotaBytes: 10_000_000, clock });
    }, 60_000);
    afterAll(async () => {
      await test?.dispose();
    });

    it.runIf(hasRadicale)(
      'writes each block once around the meeting, moves it with the block, removes it when done or turned off',
      async () => {
        const { server, provider } = await openRadicaleCalendar(clock);
        try {
          const userId = await insertTestUser(test.db);
          const connectionId = await insertSyncConnection(test.db, userId, 'ICAL');
          const sync = () =>
            runSync({ connectionId, provider, userId, db: test.db, access: test.access, clock });
          await provider.createEvent(MEETING, randomUUID());

          const titles = new Map<string, string>();
          const [writeId, readId] = await test.access.use(userId, [], (docs, ctx) => {
            updateSettings(docs, {
              timezone: 'Europe/Berlin',
              scheduling: { blocksToCalendar: true, minBlockMinutes: 60 },
            });
            const write = createTask(docs, { title: 'Write report', estimatedDuration: 180 }, ctx);
            const read = createTask(docs, { title: 'Read papers', estimatedDuration: 120 }, ctx);
            titles.set(write.id, write.title).set(read.id, read.title);
            return [write.id, read.id];
          });
          // The first sync mirrors the meeting; the plan then goes around it.
          await sync();
          const blocks = await test.access.use(userId, [], (docs, ctx) => {
            expect(listCalendarEvents(docs, WEEK).map((event) => event.title)).toEqual([
              'Design review',
            ]);
            planAndApplySchedule(docs, ctx, WEEK);
            return listBlocksBetween(docs, WEEK);
          });
          expect(blocks.length).toBeGreaterThanOrEqual(2);
          for (const block of blocks) {
            const overlapsMeeting =
              Date.parse(block.start) < Date.parse('2026-03-23T11:00:00Z') &&
              Date.parse(block.end) > Date.parse('2026-03-23T08:00:00Z');
            expect(overlapsMeeting).toBe(false);
          }

          await sync();
          const written = await allEvents(provider);
          expect(blockEvents(written)).toEqual(asEvents(blocks, titles));
          // Never mirrored back as busy time.
          await sync();
          expect(
            await test.access.use(userId, [], (docs) =>
              listCalendarEvents(docs, WEEK).map((event) => event.title),
            ),
          ).toEqual(['Design review']);
          // Re-syncs write nothing twice: the same events, the same ids.
          expect((await allEvents(provider)).map((event) => event.id)).toEqual(
            written.map((event) => event.id),
          );

          // A lost status table (a crash before the commit) adopts the events, no duplicates.
          await test.db.query('delete from calendar_block_events where connection_id = $1', [
            connectionId,
          ]);
          await sync();
          expect((await allEvents(provider)).map((event) => event.id)).toEqual(
            written.map((event) => event.id),
          );

          // The user moves a block: its event moves, no other event is written.
          const first = blocks.find((block) => block.taskId === writeId) as TaskBlock;
          const moved = await test.access.use(userId, [], (docs) =>
            moveBlock(docs, writeId, first.id, {
              start: '2026-03-27T13:00:00Z',
              end: '2026-03-27T14:30:00Z',
            }),
          );
          await sync();
          const afterMove = await allEvents(provider);
          expect(afterMove.map((event) => event.id)).toEqual(written.map((event) => event.id));
          expect(blockEvents(afterMove)).toContainEqual({
            marker: blockEventMarker(writeId, first.id),
            summary: 'Write report',
            start: moved.start.replace('Z', '.000Z'),
            end: moved.end.replace('Z', '.000Z'),
          });

          // Deleted in the calendar by hand: the plan writes it again.
          const gone = afterMove.find(
            (event) => event.taskId === blockEventMarker(writeId, first.id),
          );
          await provider.deleteEvent(gone?.id as string, null);
          await sync();
          expect(blockEvents(await allEvents(provider))).toHaveLength(blocks.length);

          // The task is completed: its blocks leave the calendar, the other task's stay.
          await test.access.use(userId, [], (docs, ctx) =>
            updateTask(docs, writeId, { status: 'COMPLETED' }, ctx),
          );
          await sync();
          const remaining = blockEvents(await allEvents(provider));
          expect(remaining.length).toBeGreaterThan(0);
          expect(remaining.every((event) => event.marker?.includes(readId))).toBe(true);

          // The setting goes off: every block event goes; the meeting stays.
          await test.access.use(userId, [], (docs) =>
            updateSettings(docs, { scheduling: { blocksToCalendar: false } }),
          );
          await sync();
          expect((await allEvents(provider)).map((event) => event.summary)).toEqual([
            'Design review',
          ]);
          const rows = await test.db.query(
            'select marker from calendar_block_events where connection_id = $1',
            [connectionId],
          );
          expect(rows).toEqual([]);
        } finally {
          await server.close();
        }
      },
      90_000,
    );

    it.runIf(hasRadicale)(
      'writes each block to one calendar, moves them all when the target changes, falls back when it is gone',
      async () => {
        const { server, providers } = await openRadicaleCalendars(clock, 2);
        try {
          const [work, home] = providers as [CalendarProvider, CalendarProvider];
          const userId = await insertTestUser(test.db);
          const workId = await insertSyncConnection(test.db, userId, 'ICAL');
          const homeId = await insertSyncConnection(test.db, userId, 'ICAL');
          // "Work" was connected first.
          await test.db.query(
            `update calendar_connections set created_at = created_at - interval '1 hour'
           where id = $1`,
            [workId],
          );
          const syncOne = (connectionId: string, provider: CalendarProvider) =>
            runSync({ connectionId, provider, userId, db: test.db, access: test.access, clock });
          const syncBoth = async () => {
            await syncOne(workId, work);
            await syncOne(homeId, home);
          };
          const expected = await test.access.use(userId, [], (docs, ctx) => {
            updateSettings(docs, {
              timezone: 'Europe/Berlin',
              scheduling: { blocksToCalendar: true, minBlockMinutes: 60 },
            });
            createTask(docs, { title: 'Write report', estimatedDuration: 180 }, ctx);
            createTask(docs, { title: 'Read papers', estimatedDuration: 120 }, ctx);
            planAndApplySchedule(docs, ctx, WEEK);
            return listBlocksBetween(docs, WEEK)
              .map((block) => blockEventMarker(block.taskId, block.id))
              .sort();
          });
          expect(expected.length).toBeGreaterThanOrEqual(2);

          // By default, the first connected calendar holds every block, the other none.
          await syncBoth();
          await syncBoth();
          expect(await blockMarkers(work)).toEqual(expected);
          expect(await blockMarkers(home)).toEqual([]);

          // The user names the other calendar: the blocks move, each still there once.
          await test.access.use(userId, [], (docs) =>
            updateSettings(docs, { scheduling: { blocksCalendarConnectionId: homeId } }),
          );
          await syncBoth();
          expect(await blockMarkers(work)).toEqual([]);
          expect(await blockMarkers(home)).toEqual(expected);
          const rows = await test.db.query<{ connection_id: string }>(
            'select distinct connection_id from calendar_block_events where connection_id in ($1, $2)',
            [workId, homeId],
          );
          expect(rows).toEqual([{ connection_id: homeId }]);
          // Synced again in the other order, nothing changes.
          await syncOne(homeId, home);
          await syncBoth();
          expect(await blockMarkers(work)).toEqual([]);
          expect(await blockMarkers(home)).toEqual(expected);

          // Sync turned off on the named calendar: the first one takes the blocks back.
          await test.db.query(
            'update calendar_connections set sync_enabled = false where id = $1',
            [homeId],
          );
          await syncOne(workId, work);
          expect(await blockMarkers(work)).toEqual(expected);
          // Back on: they move to the named one again.
          await test.db.query('update calendar_connections set sync_enabled = true where id = $1', [
            homeId,
          ]);
          await syncBoth();
          expect(await blockMarkers(work)).toEqual([]);
          expect(await blockMarkers(home)).toEqual(expected);

          // The named connection is removed (its events stay in that calendar, as documented):
          // the blocks fall back to the first connection.
          await test.db.query('delete from calendar_connections where id = $1', [homeId]);
          await syncOne(workId, work);
          expect(await blockMarkers(work)).toEqual(expected);
        } finally {
          await server.close();
        }
      },
      120_000,
    );
  },
);
