import postgres from 'postgres';
import type { Database, Queryable, Row } from './database.js';

type Sql = postgres.Sql | postgres.TransactionSql;
type Param = postgres.ParameterOrJSON<never>;

function queryable(sql: Sql): Queryable {
  return {
    async query<T extends Row = Row>(text: string, params: readonly unknown[] = []) {
      const rows = await sql.unsafe(text, params as Param[], { prepare: params.length > 0 });
      return rows.map((row) => normalizeRow(row as Row)) as T[];
    },
    async exec(text: string) {
      await sql.unsafe(text); // no parameters: the simple protocol, several statements allowed
    },
  };
}

// postgres.js returns bytea as Buffer; the seam promises plain Uint8Array, as PGlite gives.
function normalizeRow(row: Row): Row {
  for (const [key, value] of Object.entries(row)) {
    if (Buffer.isBuffer(value)) {
      row[key] = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    }
  }
  return row;
}

export interface PostgresOptions {
  url: string;
  /** Pool size (default 10). */
  max?: number;
  /** Schema every connection works in (tests isolate themselves this way); default public. */
  schema?: string;
}

export function createPostgresDatabase(options: PostgresOptions): Database {
  const sql = postgres(options.url, {
    max: options.max ?? 10,
    onnotice: () => {}, // "relation already exists, skipping" notices are expected at start
    ...(options.schema ? { connection: { search_path: options.schema } } : {}),
  });
  const base = queryable(sql);
  return {
    kind: 'postgres',
    query: base.query,
    exec: base.exec,
    async transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R> {
      return (await sql.begin((tx) => fn(queryable(tx)))) as R;
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}
