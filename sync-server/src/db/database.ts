/**
 * The seam between the server and its SQL database. Two implementations run the same SQL:
 * `postgres-database.ts` (postgres.js, for a real PostgreSQL) and `pglite-database.ts`
 * (embedded PGlite, when no DATABASE_URL is set). Placeholders are `$1, $2, ...`; bytea values
 * come back as Uint8Array from both.
 */
export type Row = Record<string, unknown>;

export interface Queryable {
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R>;
  close(): Promise<void>;
  /**
   * PGlite only: a consistent copy of the embedded database's files (a gzipped tar), taken
   * between two queries while the server runs (`pnpm backup`).
   */
  dumpDataDir?(): Promise<Uint8Array<ArrayBuffer>>;
}
