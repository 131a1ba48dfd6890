import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadKeptSecret } from '../files/kept-secret-file.js';

export interface AuthSecretOptions {
  /** The configured AUTH_SECRET, or null to use (and on first start create) the kept one. */
  authSecret: string | null;
  dataDir: string;
}

const FILE_NAME = 'auth-secret';
const MIN_LENGTH = 32;

/**
 * The secret that signs access tokens. Without a configured one, a random secret is generated
 * once and kept in `${dataDir}/auth-secret` (mode 0600): a new secret at every start would log
 * every user out at every restart.
 */
export async function loadAuthSecret({ authSecret, dataDir }: AuthSecretOptions): Promise<string> {
  if (authSecret !== null) return authSecret;
  return loadKeptSecret(
    path.join(dataDir, FILE_NAME),
    () => randomBytes(32).toString('base64url'),
    (text) => (text.length >= MIN_LENGTH ? text : null),
    `holds fewer than ${MIN_LENGTH} characters: delete it or set AUTH_SECRET`,
  );
}
