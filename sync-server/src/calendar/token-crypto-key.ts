import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadKeptSecret } from '../files/kept-secret-file.js';
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
  return loadKeptSecret(
    path.join(dataDir, TOKEN_KEY_FILE),
    () => randomBytes(TOKEN_KEY_BYTES).toString('base64url'),
    parseTokenKey,
    `does not hold a ${TOKEN_KEY_BYTES}-byte key; restore it or set CALENDAR_TOKEN_KEY`,
  );
}
