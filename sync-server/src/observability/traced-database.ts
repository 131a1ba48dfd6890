import { SpanKind } from '@opentelemetry/api';
import type { Database, Queryable } from '../db/database.js';
import { inSpan, tracingActive } from './spans.js';

/** A table after FROM, INTO, UPDATE or TABLE; `alias.column` (as in `extract(epoch from c.x)`) is not one. */
const TABLE =
  /\b(?:from|into|update|table)\s+(?:if\s+(?:not\s+)?exists\s+)?([A-Za-z_]\w*)(?!\.)\b/gi;
/** `select pg_advisory_xact_lock(...)`: a statement that only calls a function. */
const FUNCTION_CALL = /^\s*select\s+([A-Za-z_]\w*)\s*\(/i;

/**
 * What a SQL span is called: the statement's first word and the first table it names
 * (`select calendar_connections`, `insert sync_jobs`), or the function a bare select calls.
 * Never the parameters, never the rest of the text.
 */
export function statementSummary(sql: string): {
  operation: string;
  table: string | null;
  name: string;
} {
  const operation = (/^\s*([A-Za-z]+)/.exec(sql)?.[1] ?? 'sql').toLowerCase();
  const table = [...sql.matchAll(TABLE)][0]?.[1]?.toLowerCase() ?? null;
  const target = table ?? FUNCTION_CALL.exec(sql)?.[1]?.toLowerCase();
  return { operation, table, name: target ? `${operation} ${target}` : operation };
}

function traced(target: Queryable): Queryable {
  return {
    query(sql, params) {
      if (!tracingActive()) return target.query(sql, params);
      const { operation, table, name } = statementSummary(sql);
      return inSpan(
        name,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'db.system.name': 'postgresql',
            'db.operation.name': operation.toUpperCase(),
            'db.query.summary': name,
            ...(table ? { 'db.collection.name': table } : {}),
          },
        },
        () => target.query(sql, params),
      );
    },
    exec: (sql) =>
      inSpan(
        'exec',
        { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql' } },
        () => target.exec(sql),
      ),
  };
}

/** The database with a span around every statement, a transaction's included. */
export function traceQueries(db: Database): Database {
  const outer = traced(db);
  return {
    kind: db.kind,
    query: outer.query,
    exec: outer.exec,
    transaction: (fn) =>
      inSpan('transaction', { kind: SpanKind.CLIENT }, () =>
        db.transaction((tx) => fn(traced(tx))),
      ),
    close: () => db.close(),
    ...(db.dumpDataDir ? { dumpDataDir: db.dumpDataDir.bind(db) } : {}),
  };
}
