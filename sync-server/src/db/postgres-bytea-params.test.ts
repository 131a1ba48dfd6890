import { createRequire } from 'node:module';
import path from 'node:path';
import type postgresType from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { importFromPostgres, postgresPackageDir } from '../test-support/postgres-package.js';
import { startTcpProxy, type TcpProxy } from '../test-support/tcp-proxy.js';
import { testDatabaseUrl } from './test-databases.js';

/**
 * postgres.js 3.4.9 sends every parameter as text, so a `bytea` went as hex: a string twice the
 * size of the bytes, built and copied on the event loop (a 7 MB snapshot held the loop for up to
 * 170 ms under load). Patched (pnpm-workspace.yaml): bytes for a `bytea` parameter travel in
 * binary format. Measured here from outside, by what the client writes through a TCP proxy.
 */

type Postgres = typeof postgresType;

const require = createRequire(import.meta.url);
const copies: [string, () => Promise<Postgres>][] = [
  ['ESM', async () => (await importFromPostgres<{ default: Postgres }>('src/index.js')).default],
  ['CJS', async () => require(path.join(postgresPackageDir, 'cjs/src/index.js')) as Postgres],
];

const url = testDatabaseUrl();

/** Every byte value, the bytes of the text format's escapes among them, `size` bytes in all. */
function allByteValues(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) bytes[i] = (i * 7) % 256;
  return bytes;
}

describe.runIf(url !== null).each(copies)('postgres.js bytea parameters (%s)', (_name, load) => {
  let proxy: TcpProxy | null = null;
  let sql: ReturnType<Postgres> | null = null;
  afterEach(async () => {
    await sql?.end({ timeout: 5 });
    sql = null;
    await proxy?.close();
    proxy = null;
  });

  /** A client through a proxy that counts the bytes it sends to the server. */
  async function connect(): Promise<{ sql: ReturnType<Postgres>; sent: () => number }> {
    const target = new URL(url as string);
    let sent = 0;
    proxy = await startTcpProxy(
      { host: target.hostname || '127.0.0.1', port: Number(target.port || 5432) },
      0,
      {
        resetWhen: (chunk) => {
          sent += chunk.byteLength;
          return false;
        },
      },
    );
    target.hostname = '127.0.0.1';
    target.port = String(proxy.port);
    const postgres = await load();
    sql = postgres(target.toString(), { max: 1, onnotice: () => undefined });
    await sql`select 1`;
    return { sql, sent: () => sent };
  }

  it('sends the bytes of a bytea parameter as they are, not as hex text twice their size', async () => {
    const client = await connect();
    // A view into a larger buffer: only the view's bytes are the value.
    const whole = allByteValues(2 * 1024 * 1024 + 100);
    const value = whole.subarray(37, 37 + 2 * 1024 * 1024);
    const before = client.sent();
    const [row] = await client.sql.unsafe<{ data: Buffer; n: number }[]>(
      'select $1::bytea as data, octet_length($1::bytea) as n',
      [value],
    );
    const sent = client.sent() - before;
    expect(row?.n).toBe(value.byteLength);
    expect(Buffer.compare(row?.data ?? Buffer.alloc(0), value)).toBe(0);
    // Hex text would be over 4 MiB.
    expect(sent).toBeLessThan(value.byteLength * 1.05);
  });

  it('keeps other parameters of the same statement as text, and null as null', async () => {
    const client = await connect();
    const bytes = new Uint8Array([0, 92, 120, 39, 34, 255]);
    const [row] = await client.sql<{ data: Buffer; label: string; none: Buffer | null }[]>`
      select ${bytes}::bytea as data, ${'a \\x label'}::text as label, ${null}::bytea as none`;
    expect([...(row?.data ?? [])]).toEqual([...bytes]);
    expect(row?.label).toBe('a \\x label');
    expect(row?.none).toBeNull();
  });
});
