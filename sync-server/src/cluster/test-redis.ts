import { randomUUID } from 'node:crypto';

/**
 * The Redis the cluster tests use: `TEST_REDIS_URL` or `REDIS_URL`. Null skips them on a
 * developer's machine; with `REQUIRE_SERVICES=1` (CI) a missing one is an error, not a skip.
 */
export function testRedisUrl(): string | null {
  const url = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? null;
  if (!url && process.env.REQUIRE_SERVICES === '1') {
    throw new Error('REQUIRE_SERVICES=1 but neither TEST_REDIS_URL nor REDIS_URL is set');
  }
  return url;
}

/** A prefix of Redis keys and channels no other test run shares. */
export function testRedisPrefix(): string {
  return `test:${randomUUID().slice(0, 12)}:`;
}
