import { getTimezone, isTimezoneChosen, settingsOf, UserDocs, updateSettings } from '@tasks/crdt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import { callApi, startTestServer, type TestServer, type TestUser } from '../test-server.js';

interface TaskBody {
  id: string;
  title: string;
  due_date: string | null;
  status: string;
}

describe.each(testDatabaseKinds())(
  'the time zone given at registration, through REST, on %s',
  (kind) => {
    let ts: TestServer;
    let counter = 0;

    beforeAll(async () => {
      ts = await startTestServer(kind);
    }, 60_000);
    afterAll(async () => {
      await ts?.dispose();
    });

    async function registerIn(timezone: string): Promise<TestUser> {
      counter += 1;
      const response = await fetch(`${ts.url}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          email: `zone-${counter}@example.com`,
          username: `zone_${counter}`,
          password: 'correct horse battery',
          timezone,
        }),
      });
      expect(response.status).toBe(201);
      const body = (await response.json()) as { id: string; access_token: string };
      return { userId: body.id, token: body.access_token };
    }

    /** The user's document as the server holds it (what every device syncs). */
    async function documentOf(user: TestUser): Promise<UserDocs> {
      const main = await ts.server.relay.openDocument(user.userId, user.userId);
      return new UserDocs(user.userId, { main });
    }

    const create = async (user: TestUser, body: Record<string, unknown>) => {
      const reply = await callApi<TaskBody>(ts, user, 'POST', '/tasks', body);
      expect(reply.status).toBe(201);
      return reply.body;
    };
    const dueBefore = async (user: TestUser, instant: string) => {
      const reply = await callApi<{ items: TaskBody[] }>(
        ts,
        user,
        'GET',
        `/tasks?due_before=${encodeURIComponent(instant)}`,
      );
      expect(reply.status).toBe(200);
      return reply.body.items.map((task) => task.title);
    };

    it('creates the document in the account’s zone, before any device or request', async () => {
      const user = await registerIn('Europe/Berlin');
      const docs = await documentOf(user);
      expect(getTimezone(docs)).toBe('Europe/Berlin');
      // The account's zone is a default, not a choice: a device may still pick another.
      expect(isTimezoneChosen(docs)).toBe(false);
    });

    it('resolves a task’s date and its repeats in Berlin for a REST-only user', async () => {
      const user = await registerIn('Europe/Berlin');
      // "Dentist tomorrow 3pm" as a client sends it: 3 pm on the wall, no offset; the server
      // reads it in the account's zone.
      const winter = await create(user, { title: 'dentist', due_date: '2027-01-13T15:00' });
      const summer = await create(user, { title: 'dentist', due_date: '2027-07-13T15:00:00' });
      expect([winter.due_date, summer.due_date]).toEqual([
        '2027-01-13T14:00:00Z',
        '2027-07-13T13:00:00Z',
      ]);
      // A PATCH reads it the same way; a time with an offset stays the instant it names.
      const moved = await callApi<TaskBody>(ts, user, 'PATCH', `/tasks/${winter.id}`, {
        due_date: '2027-01-14T09:30',
      });
      expect(moved.body.due_date).toBe('2027-01-14T08:30:00Z');
      const exact = await create(user, { title: 'call', due_date: '2027-01-13T15:00:00-05:00' });
      expect(exact.due_date).toBe('2027-01-13T20:00:00Z');
      // Start after due is refused once both are read in Berlin, naming the field.
      const late = await callApi<{ error: { fields: { field: string }[] } }>(
        ts,
        user,
        'POST',
        '/tasks',
        { title: 'late', start_date: '2027-01-13T16:00', due_date: '2027-01-13T14:30:00Z' },
      );
      expect(late.status).toBe(422);
      expect(late.body.error.fields.map((field) => field.field)).toContain('start_date');

      // A date without a time starts at midnight in Berlin, 23:00 UTC the day before.
      await create(user, { title: 'Pay rent', due_date: '2027-01-13' });
      expect(await dueBefore(user, '2027-01-12T23:30:00Z')).toEqual(['Pay rent']);

      // A daily 15:00 in Berlin stays at 15:00 across the change to summer time (13:00Z, not 14:00Z).
      const standup = await create(user, {
        title: 'Standup',
        due_date: '2027-03-27T14:00:00Z',
        recurrence_rule: 'FREQ=DAILY',
      });
      const done = await callApi<TaskBody>(ts, user, 'PATCH', `/tasks/${standup.id}`, {
        status: 'COMPLETED',
      });
      expect(done.status).toBe(200);
      const next = await callApi<{ items: TaskBody[] }>(
        ts,
        user,
        'GET',
        '/tasks?q=standup&status=TODO',
      );
      expect(next.body.items.map((task) => task.due_date)).toEqual(['2027-03-28T13:00:00Z']);
    });

    it('keeps a zone a device chose, UTC included, over the account’s', async () => {
      const user = await registerIn('Europe/Berlin');
      updateSettings(await documentOf(user), { timezone: 'UTC' });
      await create(user, { title: 'Pay rent', due_date: '2027-01-13' });
      // Midnight UTC: not before 23:30 UTC the day before.
      expect(await dueBefore(user, '2027-01-12T23:30:00Z')).toEqual([]);
      expect(getTimezone(await documentOf(user))).toBe('UTC');
    });

    it('gives the account’s zone to a document that never had one on its first REST use', async () => {
      const user = await registerIn('Asia/Tokyo');
      // As a document a device created before the server seeded zones.
      settingsOf((await documentOf(user)).main).delete('accountTimezone');
      expect(getTimezone(await documentOf(user))).toBe('UTC');
      await create(user, { title: 'Pay rent', due_date: '2027-01-13' });
      expect(getTimezone(await documentOf(user))).toBe('Asia/Tokyo');
      // Midnight in Tokyo is 15:00 UTC the day before.
      expect(await dueBefore(user, '2027-01-12T15:30:00Z')).toEqual(['Pay rent']);
    });
  },
);
