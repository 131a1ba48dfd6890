import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword, verifyUnknownAccountPassword } from './passwords.js';

async function medianMs(run: () => Promise<unknown>, times = 7): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i += 1) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  return samples.sort((a, b) => a - b)[Math.floor(times / 2)] ?? 0;
}

describe('passwords', () => {
  it('hashes with argon2id and a fresh salt, and verifies only the right password', async () => {
    const hash = await hashPassword('SecurePass123!');
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(await hashPassword('SecurePass123!')).not.toBe(hash);
    expect(await verifyPassword(hash, 'SecurePass123!')).toBe(true);
    expect(await verifyPassword(hash, 'SecurePass123?')).toBe(false);
  });

  it('takes as long for an unknown account as for a wrong password', async () => {
    const hash = await hashPassword('SecurePass123!');
    await verifyUnknownAccountPassword('warm-up');
    const wrong = await medianMs(() => verifyPassword(hash, 'WrongPass123!'));
    const unknown = await medianMs(() => verifyUnknownAccountPassword('WrongPass123!'));
    expect(await verifyUnknownAccountPassword('SecurePass123!')).toBe(false);
    // Same argon2 cost either way; a missing dummy verification would be ~100x faster.
    expect(unknown / wrong).toBeGreaterThan(0.3);
    expect(unknown / wrong).toBeLessThan(3);
  });
});
