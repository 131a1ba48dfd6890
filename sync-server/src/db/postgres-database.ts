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

/**
 * A URL naming a Unix-socket directory the libpq way (`postgres://user@/db?host=/var/run/postgresql`)
 * becomes postgres.js's `path` to the socket (postgres.js alone refuses the URL: "Invalid URL").
 */
export function connectionOf(url: string): { url: string; path?: string } {
  const match = /^(postgres(?:ql)?:\/\/)([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/.exec(url);
  if (!match) return { url };
  const [, scheme, authority = '', database = '', query = ''] = match;
  const params = new URLSearchParams(query);
  const dir = params.get('host');
  if (!dir?.startsWith('/')) return { url };
  params.delete('host');
  const at = authority.lastIndexOf('@');
  const credentials = at >= 0 ? authority.slice(0, at + 1) : '';
  const hostPort = at >= 0 ? authority.slice(at + 1) : authority;
  const port = /:(\d+)$/.exec(hostPort)?.[1] ?? params.get('port') ?? '5432';
  params.delete('port');
  const rest = params.toString();
  return {
    url: `${scheme}${credentials}localhost:${port}${database}${rest ? `?${rest}` : ''}`,
    path: `${dir.replace(/\/+$/, '')}/.s.PGSQL.${port}`,
  };
}

export function createPostgresDatabase(options: PostgresOptions): Database {
  const connection = connectionOf(options.url);
  const sql = postgres(connection.url, {
    ...(connection.path ? { path: connection.path } : {}),
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
