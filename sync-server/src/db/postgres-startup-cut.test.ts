import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { startTcpProxy } from '../test-support/tcp-proxy.js';
import { createPostgresDatabase } from './postgres-database.js';
import { testDatabaseUrl } from './test-databases.js';

/**
 * Two faults of postgres.js 3.4.9 (patched, pnpm-workspace.yaml) on which the server exited
 * (process-failure.ts), so that a database outage at the wrong moment could stop every node.
 *
 * A connection cut while postgres.js asks for the array types, the first statement of every new
 * connection: the query waiting on that connection fails, the next one succeeds, and nothing is
 * left as an unhandled rejection (which makes the server exit: process-failure.ts). Without the
 * patch of postgres.js (pnpm-workspace.yaml) it was one, and a database outage could stop every
 * node.
 */
const url = testDatabaseUrl();

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.runIf(url !== null)('a PostgreSQL connection cut while it starts', () => {
  it('fails the waiting query, serves the next, and leaves no unhandled rejection', async () => {
    const target = new URL(url as string);
    // Resets the first connection that sends the array-type query; forwards everything else.
    let cuts = 0;
    const proxy = await startTcpProxy(
      { host: target.hostname, port: Number(target.port || 5432) },
      0,
      {
        resetWhen: (chunk) => {
          if (cuts > 0 || !chunk.includes('pg_catalog.pg_type')) return false;
          cuts += 1;
          return true;
        },
      },
    );
    cleanups.push(proxy.close);
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    cleanups.push(async () => {
      process.off('unhandledRejection', record);
    });
    const proxied = new URL(target);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const db = createPostgresDatabase({ url: proxied.toString(), max: 1 });
    cleanups.push(() => db.close());

    await expect(db.query('select 1 as one')).rejects.toThrow();
    expect(cuts).toBe(1);
    expect(await db.query<{ one: number }>('select 1 as one')).toEqual([{ one: 1 }]);
    // An unhandled rejection is reported after the microtasks of its turn: give it a few turns.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(unhandled).toEqual([]);
  });
});

describe.runIf(url !== null)('a PostgreSQL connection closed under a pending write', () => {
  it('fails the query written to it instead of throwing where nothing catches', async () => {
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    cleanups.push(async () => {
      process.off('uncaughtException', record);
    });
    const sql = postgres(url as string, { max: 2, onnotice: () => {} });
    cleanups.push(() => sql.end({ timeout: 1 }));
    // A reserved connection stays itself after its backend is gone: the next small write is
    // put off to the next turn, when the socket is already closed.
    const reserved = await sql.reserve();
    const [backend] = await reserved<{ pid: number }[]>`select pg_backend_pid() as pid`;
    await sql`select pg_terminate_backend(${backend?.pid ?? 0})`;
    await new Promise((resolve) => setTimeout(resolve, 200));

    await expect(reserved`select 1`).rejects.toThrow();
    reserved.release();
    expect(await sql`select 1 as one`).toEqual([{ one: 1 }]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(uncaught).toEqual([]);
  });
});
