import type { PlannedReminder } from '@tasks/crdt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insertTestUser } from '../calendar/connection-test-rows.js';
import { openTestDatabase, type TestDatabase, testDatabaseKinds } from '../db/test-databases.js';
import { createReminderJobStore, type ReminderJobStore } from './reminder-jobs.js';

const T0 = Date.parse('2027-03-10T09:00:00Z');
const SECOND = 1000;

/** `count` reminders of one user, one task each, due `first`, `first + step`, … seconds past T0. */
/** How many of the jobs each user has (the order a claim returns its rows in is not defined). */
function perUser(jobs: readonly { userId: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const job of jobs) counts[job.userId] = (counts[job.userId] ?? 0) + 1;
  return counts;
}

function planned(count: number, first: number, step: number): PlannedReminder[] {
  return Array.from({ length: count }, (_, i) => ({
    taskId: `task-${i}`,
    key: 'before:0',
    reminder: { minutesBefore: 0 },
    fireAt: new Date(T0 + (first + i * step) * SECOND).toISOString(),
  }));
}

describe.each(testDatabaseKinds())('the reminder queue on %s', (kind) => {
  let database: TestDatabase;
  let now = T0;
  let jobs: ReminderJobStore;

  beforeEach(async () => {
    database = await openTestDatabase(kind);
    now = T0 - 3600 * SECOND;
    jobs = createReminderJobStore(database.db, { clock: () => new Date(now) });
  });
  afterEach(() => database.dispose());

  it('claims the users of the earliest due jobs, each with all their due jobs, earliest user first', async () => {
    // Three users whose 20 due reminders each interleave second by second (a, b, c, a, b, c…),
    // and one reminder not yet due.
    const [a, b, c] = [
      await insertTestUser(database.db),
      await insertTestUser(database.db),
      await insertTestUser(database.db),
    ] as [string, string, string];
    await jobs.replan(a, planned(20, 0, 3), new Date(now));
    await jobs.replan(b, planned(20, 1, 3), new Date(now));
    const notYetDue = planned(1, 3600, 1).map((item) => ({ ...item, taskId: 'task-later' }));
    await jobs.replan(c, [...planned(20, 2, 3), ...notYetDue], new Date(now));
    now = T0 + 120 * SECOND;

    const first = await jobs.claim(30);
    // Ordered by fire time alone, 30 jobs would be 10 of each user: here all of a's, then b's.
    expect(perUser(first)).toEqual({ [a]: 20, [b]: 10 });
    // b's earliest ten.
    expect(
      first
        .filter((job) => job.userId === b)
        .map((job) => job.fireAt.getTime())
        .sort((x, y) => x - y),
    ).toEqual(planned(10, 1, 3).map((item) => Date.parse(item.fireAt)));
    expect(new Set(first.map((job) => job.attempts))).toEqual(new Set([1]));

    // What is claimed stays leased: the next claims take the rest, the user of the earliest due
    // job first (c's job at 2 s comes before b's remaining ones), each due job exactly once.
    const second = await jobs.claim(30);
    const third = await jobs.claim(30);
    expect(perUser(second)).toEqual({ [c]: 20 });
    expect(perUser(third)).toEqual({ [b]: 10 });
    expect(await jobs.claim(30)).toEqual([]);
    const ids = [...first, ...second, ...third].map((job) => job.id);
    expect(new Set(ids).size).toBe(60);
  });

  it('claims again, with a new fencing token, what a claim left once its lease is over', async () => {
    const user = await insertTestUser(database.db);
    await jobs.replan(user, planned(3, 0, 1), new Date(now));
    now = T0 + 10 * SECOND;
    const claimed = await jobs.claim(10);
    expect(claimed).toHaveLength(3);
    expect(await jobs.claim(10)).toEqual([]);

    now += 121 * SECOND; // the default lease is 2 minutes
    const again = await jobs.claim(10);
    expect(new Map(again.map((job) => [job.id, job.attempts]))).toEqual(
      new Map(claimed.map((job) => [job.id, 2])),
    );
    // The first claim's fencing token no longer holds.
    expect(await jobs.finish(claimed, 'sent')).toEqual(new Set());
    expect(await jobs.finish(again, 'sent')).toEqual(new Set(again.map((job) => job.id)));
  });
});
