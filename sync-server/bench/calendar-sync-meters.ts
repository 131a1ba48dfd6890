import { performance } from 'node:perf_hooks';
import type { CalendarProvider } from '@tasks/connectors';
import type { Database, Queryable, Row } from '../src/db/database.js';
import type { DocumentAccess } from '../src/rest/document-access.js';

/**
 * Where a calendar sync's time goes: wrappers that add up the wall time spent waiting on the
 * provider, on the user's document and on SQL statements (PGlite's statements run on this thread,
 * so theirs is CPU). The engine awaits one call at a time, so the meters add up to at most the
 * sync's wall time.
 */

export interface Meter {
  calls: number;
  ms: number;
}

const newMeter = (): Meter => ({ calls: 0, ms: 0 });

async function metered<T>(meter: Meter, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    meter.calls += 1;
    meter.ms += performance.now() - started;
  }
}

export function meteredDatabase(db: Database): { db: Database; meter: Meter } {
  const meter = newMeter();
  const wrap = (target: Queryable): Queryable => ({
    query: <T extends Row = Row>(sql: string, params?: readonly unknown[]) =>
      metered(meter, () => target.query<T>(sql, params)),
    exec: (sql) => metered(meter, () => target.exec(sql)),
  });
  return {
    meter,
    db: {
      ...wrap(db),
      kind: db.kind,
      transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
      close: () => db.close(),
    },
  };
}

/** The provider's calls (pulls, reads, writes), one at a time as the engine makes them. */
export function meteredProvider(provider: CalendarProvider): {
  provider: CalendarProvider;
  meter: Meter;
} {
  const meter = newMeter();
  return {
    meter,
    provider: {
      name: provider.name,
      pullChanges: (cursor) => metered(meter, () => provider.pullChanges(cursor)),
      getEvent: (id) => metered(meter, () => provider.getEvent(id)),
      createEvent: (input, key) => metered(meter, () => provider.createEvent(input, key)),
      updateEvent: (id, input, etag) => metered(meter, () => provider.updateEvent(id, input, etag)),
      deleteEvent: (id, etag) => metered(meter, () => provider.deleteEvent(id, etag)),
    },
  };
}

/**
 * The user's document (`access.use`): reading it (listing the tasks) and making writes durable.
 * The document store's own SQL runs on the unwrapped database, so it counts here, not as SQL.
 */
export function meteredAccess(access: DocumentAccess): { access: DocumentAccess; meter: Meter } {
  const meter = newMeter();
  return {
    meter,
    access: {
      use: (userId, months, fn, options) =>
        metered(meter, () => access.use(userId, months, fn, options)),
      listMonths: (userId) => access.listMonths(userId),
      monthVersions: (userId) => access.monthVersions(userId),
    },
  };
}
