/**
 * A throwaway PostgreSQL database for one benchmark run: created on the local server with a
 * random name, dropped at the end (with force: the server under test may still hold a pool).
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { serverDatabaseUrl } from './lib/pg-socket.js';

export interface ThrowawayDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createThrowawayDatabase(adminUrl: string): Promise<ThrowawayDatabase> {
  const name = `bench_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: serverDatabaseUrl(url),
    async drop() {
      if (dropped) return;
      const sql = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
      try {
        await sql.unsafe(`drop database if exists "${name}" with (force)`);
        dropped = true;
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
  };
}
