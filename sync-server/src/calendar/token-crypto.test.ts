import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokenCrypto, parseTokenKey, TokenDecryptError } from './token-crypto.js';
import { loadTokenKey, TOKEN_KEY_FILE } from './token-crypto-key.js';

const KEY = randomBytes(32);
const CONTEXT = '0193c2a4-6a5e-7c3b-9d1e-2f4a5b6c7d8e:access_token';

describe('token crypto', () => {
  const crypto = createTokenCrypto(KEY);

  it('opens what it sealed, unicode included', () => {
    for (const plain of ['ya29.a0AfH6SMB-token', '', 'pässwörd ✓ 🔑']) {
      expect(crypto.open(crypto.seal(plain, CONTEXT), CONTEXT)).toBe(plain);
    }
  });

  it('seals as v1:<iv>:<tag>:<ciphertext> in base64url, never showing the plaintext', () => {
    const sealed = crypto.seal('ya29.secret-access-token', CONTEXT);
    expect(sealed).toMatch(/^v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('secret');
  });

  it('gives a different ciphertext each time for the same plaintext', () => {
    const a = crypto.seal('same token', CONTEXT);
    const b = crypto.seal('same token', CONTEXT);
    expect(a).not.toBe(b);
    expect(a.split(':')[1]).not.toBe(b.split(':')[1]);
  });

  it('detects tampering with the ciphertext, the tag or the IV', () => {
    const sealed = crypto.seal('refresh-token-value', CONTEXT);
    const [version, iv, tag, body] = sealed.split(':') as [string, string, string, string];
    const flip = (part: string) => {
      const bytes = Buffer.from(part, 'base64url');
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      return bytes.toString('base64url');
    };
    for (const tampered of [
      [version, iv, tag, flip(body)],
      [version, iv, flip(tag), body],
      [version, flip(iv), tag, body],
    ]) {
      expect(() => crypto.open(tampered.join(':'), CONTEXT)).toThrow(TokenDecryptError);
    }
  });

  it('does not open with another key, or for another place', () => {
    const sealed = crypto.seal('token', CONTEXT);
    expect(() => createTokenCrypto(randomBytes(32)).open(sealed, CONTEXT)).toThrow(
      TokenDecryptError,
    );
    expect(() => crypto.open(sealed, 'another-connection:access_token')).toThrow(TokenDecryptError);
  });

  it('refuses malformed values and unknown versions', () => {
    for (const value of ['', 'plain-token', 'v2:a:b:c', 'v1:a:b', 'v1:a:b:c:d', 'v1:AA:AA:AA']) {
      expect(() => crypto.open(value, CONTEXT)).toThrow(TokenDecryptError);
    }
  });

  it('refuses a key of the wrong size', () => {
    expect(() => createTokenCrypto(randomBytes(16))).toThrow('32 bytes');
  });
});

describe('token keys', () => {
  it('reads 32 bytes from hex, base64 and base64url, and nothing else', () => {
    const key = randomBytes(32);
    for (const text of [
      key.toString('hex'),
      key.toString('base64'),
      key.toString('base64url'),
      ` ${key.toString('hex')}\n`,
    ]) {
      expect(parseTokenKey(text)?.equals(key)).toBe(true);
    }
    for (const text of [
      '',
      'short',
      randomBytes(16).toString('hex'),
      randomBytes(31).toString('base64'),
    ]) {
      expect(parseTokenKey(text)).toBeNull();
    }
  });

  let folder: string | null = null;
  afterEach(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
    folder = null;
  });

  it('generates a key once into the data folder, readable only by its owner, and keeps it', async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'token-key-'));
    const first = await loadTokenKey({ configured: null, dataDir: folder });
    const again = await loadTokenKey({ configured: null, dataDir: folder });
    expect(first.length).toBe(32);
    expect(again.equals(first)).toBe(true);
    const file = path.join(folder, TOKEN_KEY_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(parseTokenKey(await readFile(file, 'utf8'))?.equals(first)).toBe(true);
  });

  it('agrees on one key when two servers start at once on one folder', async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'token-key-'));
    const dataDir = folder;
    const keys = await Promise.all(
      Array.from({ length: 5 }, () => loadTokenKey({ configured: null, dataDir })),
    );
    for (const key of keys) expect(key.equals(keys[0] as Buffer)).toBe(true);
  });

  it('prefers the configured key, and refuses a bad one or a damaged file', async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'token-key-'));
    const key = randomBytes(32);
    const configured = await loadTokenKey({ configured: key.toString('hex'), dataDir: folder });
    expect(configured.equals(key)).toBe(true);
    await expect(loadTokenKey({ configured: 'too-short', dataDir: folder })).rejects.toThrow(
      '32 bytes',
    );
    await writeFile(path.join(folder, TOKEN_KEY_FILE), 'damaged');
    await expect(loadTokenKey({ configured: null, dataDir: folder })).rejects.toThrow(
      'CALENDAR_TOKEN_KEY',
    );
  });
});
