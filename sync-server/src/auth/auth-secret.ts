import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

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
  const file = path.join(dataDir, FILE_NAME);
  const kept = await readSecretFile(file);
  if (kept !== null) return kept;
  await createSecretFile(file);
  const created = await readSecretFile(file);
  if (created === null) throw new Error(`${file} vanished while it was being created`);
  return created;
}

/**
 * Writes the secret to a temporary file, then links it into place: the link fails if the file
 * exists, so two servers starting at once on one folder agree on one secret, and neither can
 * read a half-written file.
 */
async function createSecretFile(file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  await writeFile(temporary, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, file);
  } catch (error) {
    if (!isErrorCode(error, 'EEXIST')) throw error;
  } finally {
    await unlink(temporary);
  }
}

async function readSecretFile(file: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return null;
    throw error;
  }
  const secret = text.trim();
  if (secret.length < MIN_LENGTH) {
    throw new Error(
      `${file} holds fewer than ${MIN_LENGTH} characters: delete it or set AUTH_SECRET`,
    );
  }
  return secret;
}

function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}
