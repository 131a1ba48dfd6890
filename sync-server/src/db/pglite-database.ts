import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable, Row } from './database.js';

/**
 * Embedded PostgreSQL (PGlite: PostgreSQL 18 compiled to WASM). One session, so transactions
 * are serialized here: a query outside a transaction waits for the open one to finish, as it
 * would for a lock on a real server, instead of slipping into it.
 */
export async function createPgliteDatabase(
  dataDir: string | null,
  options: { loadDataDir?: Blob } = {},
): Promise<Database> {
  if (dataDir) await mkdir(dataDir, { recursive: true });
  const db = dataDir ? new PGlite(dataDir, options) : new PGlite(options);
  await db.waitReady;
  let queue: Promise<unknown> = Promise.resolve();
  const serialize = <R>(work: () => Promise<R>): Promise<R> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };
  const run = async <T extends Row>(
    target: Pick<PGlite, 'query'>,
    text: string,
    params: readonly unknown[],
  ) => {
    const result = await target.query<T>(text, params as unknown[]);
    return result.rows;
  };
  return {
    kind: 'pglite',
    query: <T extends Row = Row>(text: string, params: readonly unknown[] = []) =>
      serialize(() => run<T>(db, text, params)),
    exec: (text: string) => serialize(async () => void (await db.exec(text))),
    transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R> {
      return serialize(() =>
        db.transaction((tx) =>
          fn({
            query: <T extends Row = Row>(text: string, params: readonly unknown[] = []) =>
              run<T>(tx, text, params),
            exec: async (text: string) => void (await tx.exec(text)),
          }),
        ),
      );
    },
    async close() {
      await serialize(() => db.close());
    },
    // In the queue: no transaction is open while the files are copied.
    dumpDataDir: () =>
      serialize(async () => new Uint8Array(await (await db.dumpDataDir('gzip')).arrayBuffer())),
  };
}
