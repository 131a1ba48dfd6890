import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAuthSecret } from './auth-secret.js';

describe('loadAuthSecret', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'auth-secret-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uses the configured secret and writes nothing', async () => {
    const configured = 'c'.repeat(40);
    expect(await loadAuthSecret({ authSecret: configured, dataDir: dir })).toBe(configured);
    await expect(stat(path.join(dir, 'auth-secret'))).rejects.toThrow(/ENOENT/);
  });

  it('generates a secret once, readable only by its owner, and keeps it across restarts', async () => {
    const dataDir = path.join(dir, 'data');
    const first = await loadAuthSecret({ authSecret: null, dataDir });
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect((await stat(path.join(dataDir, 'auth-secret'))).mode & 0o777).toBe(0o600);
    expect(await loadAuthSecret({ authSecret: null, dataDir })).toBe(first);
  });

  it('agrees on one secret when several starts race', async () => {
    const secrets = await Promise.all(
      Array.from({ length: 5 }, () => loadAuthSecret({ authSecret: null, dataDir: dir })),
    );
    expect(new Set(secrets).size).toBe(1);
    expect(await readFile(path.join(dir, 'auth-secret'), 'utf8')).toBe(secrets[0]);
  });

  it('refuses a kept secret that is too short', async () => {
    await writeFile(path.join(dir, 'auth-secret'), 'short');
    await expect(loadAuthSecret({ authSecret: null, dataDir: dir })).rejects.toThrow(
      /fewer than 32/,
    );
  });
});
