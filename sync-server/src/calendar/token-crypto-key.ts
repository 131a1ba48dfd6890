import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseTokenKey, TOKEN_KEY_BYTES } from './token-crypto.js';

export interface TokenKeyOptions {
  /** The configured CALENDAR_TOKEN_KEY, or null to use (and on first start create) the kept one. */
  configured: string | null;
  dataDir: string;
}

export const TOKEN_KEY_FILE = 'calendar-token-key';

/**
 * The key that seals calendar secrets. Without a configured one, a random key is generated once
 * and kept in `${dataDir}/calendar-token-key` (mode 0600), like the auth secret: a new key at
 * every start would make every stored token unreadable. Servers sharing one database must share
 * the key, so a multi-node setup sets CALENDAR_TOKEN_KEY.
 */
export async function loadTokenKey({ configured, dataDir }: TokenKeyOptions): Promise<Buffer> {
  if (configured !== null) {
    const key = parseTokenKey(configured);
    if (!key) throw new Error(`the token key must be ${TOKEN_KEY_BYTES} bytes in hex or base64`);
    return key;
  }
  const file = path.join(dataDir, TOKEN_KEY_FILE);
  const kept = await readKeyFile(file);
  if (kept !== null) return kept;
  await createKeyFile(file);
  const created = await readKeyFile(file);
  if (created === null) throw new Error(`${file} vanished while it was being created`);
  return created;
}

/** Written to a temporary file and linked into place: two servers starting at once agree. */
async function createKeyFile(file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  await writeFile(temporary, randomBytes(TOKEN_KEY_BYTES).toString('base64url'), {
    mode: 0o600,
    flag: 'wx',
  });
  try {
    await link(temporary, file);
  } catch (error) {
    if (!isErrorCode(error, 'EEXIST')) throw error;
  } finally {
    await unlink(temporary);
  }
}

async function readKeyFile(file: string): Promise<Buffer | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return null;
    throw error;
  }
  const key = parseTokenKey(text);
  if (!key) {
    throw new Error(
      `${file} does not hold a ${TOKEN_KEY_BYTES}-byte key; restore it or set CALENDAR_TOKEN_KEY`,
    );
  }
  return key;
}

function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}
