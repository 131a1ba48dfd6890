import { describe, expect, it } from 'vitest';
import { connectionOf, createPostgresDatabase } from './postgres-database.js';
import { testDatabaseUrl } from './test-databases.js';

describe('a PostgreSQL URL', () => {
  it('names a Unix socket the libpq way: the directory in ?host=, the port in the file name', () => {
    expect(connectionOf('postgres://app:secret@/tasks?host=/var/run/postgresql')).toEqual({
      url: 'postgres://app:secret@localhost:5432/tasks',
      path: '/var/run/postgresql/.s.PGSQL.5432',
    });
    expect(connectionOf('postgresql://app@db:6432/tasks?host=/tmp/&sslmode=disable&max=4')).toEqual(
      {
        url: 'postgresql://app@localhost:6432/tasks?sslmode=disable&max=4',
        path: '/tmp/.s.PGSQL.6432',
      },
    );
    expect(connectionOf('postgres://app@/tasks?host=/sockets&port=7000')).toEqual({
      url: 'postgres://app@localhost:7000/tasks',
      path: '/sockets/.s.PGSQL.7000',
    });
  });

  it('is left as it is when it names a network host', () => {
    for (const url of [
      'postgres://postgres@127.0.0.1:5432/test',
      'postgres://app@db.internal/tasks?sslmode=require',
      'postgres://app@db/tasks?host=db2',
    ]) {
      expect(connectionOf(url)).toEqual({ url });
    }
  });

  const url = testDatabaseUrl();
  it.runIf(url !== null)("connects through the server's Unix socket", async () => {
    const overTcp = createPostgresDatabase({ url: url as string, max: 1 });
    try {
      const [row] = await overTcp.query<{ dirs: string; port: string; db: string }>(
        `select current_setting('unix_socket_directories') as dirs,
                current_setting('port') as port, current_database() as db`,
      );
      const dir = row?.dirs.split(',')[0]?.trim() ?? '';
      expect(dir, 'the server listens on a Unix socket').toMatch(/^\//);
      const user = new URL(url as string).username || 'postgres';
      const overSocket = createPostgresDatabase({
        url: `postgres://${user}@/${row?.db}?host=${dir}&port=${row?.port}`,
        max: 1,
      });
      try {
        const [peer] = await overSocket.query<{ address: string | null; db: string }>(
          'select inet_server_addr()::text as address, current_database() as db',
        );
        // No server address: the connection is not a network one.
        expect(peer).toEqual({ address: null, db: row?.db });
      } finally {
        await overSocket.close();
      }
    } finally {
      await overTcp.close();
    }
  });
});
