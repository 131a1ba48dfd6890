import { randomUUID } from 'node:crypto';
import {
  type CalendarProvider,
  createCaldavCalendarProvider,
  ensureCaldavCalendar,
  type RadicaleServer,
  startRadicale,
} from '@tasks/connectors';
import type { Database } from '../db/database.js';
import { type DatabaseKind, openTestDatabase } from '../db/test-databases.js';
import { silentLogger } from '../logger.js';
import { createSqlDocStore } from '../persistence/sql-doc-store.js';
import { Relay } from '../relay/relay.js';
import { createDocumentAccess, type DocumentAccess } from '../rest/document-access.js';

/** What sync-engine tests and benchmarks run on: a test database, a relay and document access. */
export interface SyncFixture {
  db: Database;
  relay: Relay;
  access: DocumentAccess;
  /** Closes the relay, then drops the database. */
  dispose(): Promise<void>;
}

export interface SyncFixtureOptions {
  /** The relay's per-document quota: tests and benchmarks store far more than a user would. */
  docQuotaBytes: number;
  /** 0 commits every change at once; the benchmark batches them as the server does. */
  commitWindowMs?: number;
  clock?: () => Date;
}

/**
 * A migrated test database of the given kind with a silent relay (relaxed limits) over a SQL
 * document store, and document access through that relay.
 */
export async function openSyncFixture(
  kind: DatabaseKind,
  { docQuotaBytes, commitWindowMs = 0, clock = () => new Date() }: SyncFixtureOptions,
): Promise<SyncFixture> {
  const test = await openTestDatabase(kind);
  let relay: Relay;
  try {
    relay = new Relay({
      store: createSqlDocStore(test.db),
      log: silentLogger,
      options: { maxMessagesPerSecond: 1000, docQuotaBytes, decodeTimeoutMs: 5000, commitWindowMs },
    });
  } catch (error) {
    await test.dispose();
    throw error;
  }
  return {
    db: test.db,
    relay,
    access: createDocumentAccess({ relay, db: test.db, clock }),
    async dispose() {
      try {
        await relay.close();
      } finally {
        await test.dispose();
      }
    },
  };
}

/** A real Radicale with one fresh calendar of a user with a password, and its CalDAV adapter. */
export async function openRadicaleCalendar(clock: () => Date): Promise<{
  server: RadicaleServer;
  provider: CalendarProvider;
  /** The Basic credentials of the calendar's user, for requests the adapter does not make. */
  authorization: string;
}> {
  const { server, providers, authorization } = await openRadicaleCalendars(clock, 1);
  return { server, provider: providers[0] as CalendarProvider, authorization };
}

/**
 * A real Radicale with `count` fresh calendars (collections) of one user, and a CalDAV adapter
 * for each: a user with several calendars connected.
 */
export async function openRadicaleCalendars(
  clock: () => Date,
  count: number,
): Promise<{ server: RadicaleServer; providers: CalendarProvider[]; authorization: string }> {
  const [username, password] = ['alice', 'radicale-password-1'];
  const server = await startRadicale({ users: { [username]: password } });
  try {
    const providers: CalendarProvider[] = [];
    for (let i = 0; i < count; i += 1) {
      const options = {
        serverUrl: server.url,
        username,
        password,
        calendarPath: `/${username}/${randomUUID()}/`,
        now: clock,
      };
      await ensureCaldavCalendar(options);
      providers.push(createCaldavCalendarProvider(options));
    }
    const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    return { server, providers, authorization };
  } catch (error) {
    await server.close();
    throw error;
  }
}
