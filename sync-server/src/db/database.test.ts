import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from './database.js';
import { MIGRATIONS, migrate } from './migrate.js';
import { openTestDatabase, type TestDatabase, testDatabaseKinds } from './test-databases.js';

// One contract for both implementations of the seam: the server runs the same SQL on each.
describe.each(testDatabaseKinds())('database contract on %s', (kind) => {
  let test: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    test = await openTestDatabase(kind);
    db = test.db;
  }, 60_000);
  afterAll(async () => {
    await test?.dispose();
  });

  it('round-trips bytea as Uint8Array', async () => {
    await db.exec('create table blobs (id int primary key, data bytea not null)');
    await db.query('insert into blobs values ($1, $2)', [1, new Uint8Array([0, 1, 255])]);
    const [row] = await db.query<{ data: Uint8Array }>('select data from blobs where id = $1', [1]);
    expect(row?.data).toBeInstanceOf(Uint8Array);
    expect([...(row?.data ?? [])]).toEqual([0, 1, 255]);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await db.exec('create table counters (id int primary key, n int not null)');
    await db.transaction(async (tx) => {
      await tx.query('insert into counters values (1, 1)');
      await tx.query('update counters set n = n + 1 where id = 1');
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.query('update counters set n = 100 where id = 1');
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const [row] = await db.query<{ n: number }>('select n from counters where id = 1');
    expect(row?.n).toBe(2);
  });

  it('reports a failing statement as an error and keeps working', async () => {
    await expect(db.query('select * from no_such_table')).rejects.toThrow(/no_such_table/);
    const [row] = await db.query<{ one: number }>('select 1 as one');
    expect(row?.one).toBe(1);
  });

  it('applies each migration once, however often the server starts', async () => {
    expect(await migrate(db)).toEqual([]);
    const rows = await db.query<{ id: string }>('select id from schema_migrations order by id');
    expect(rows.map((row) => row.id)).toEqual(MIGRATIONS.map((m) => m.id));
  });

  it('refuses migrations out of order or twice', async () => {
    const [first] = MIGRATIONS;
    if (!first) throw new Error('no migrations');
    await expect(migrate(db, [first, first])).rejects.toThrow('duplicate');
    await expect(
      migrate(db, [
        { id: '9-b', up: '' },
        { id: '1-a', up: '' },
      ]),
    ).rejects.toThrow('not in order');
  });
});
