import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A secret generated once and kept in a file (mode 0600), for keys a server must reuse across
 * restarts (the auth secret, the calendar token key). The file is written under a temporary
 * name and linked into place: the link fails if the file exists, so two servers starting at once
 * on one folder agree on one secret, and neither reads a half-written file.
 *
 * `parse` turns the file's text into the secret, or null when the text is not one.
 */
export async function loadKeptSecret<T>(
  file: string,
  generate: () => string,
  parse: (text: string) => T | null,
  invalid: string,
): Promise<T> {
  const kept = await readSecret(file, parse, invalid);
  if (kept !== null) return kept;
  await createSecret(file, generate());
  const created = await readSecret(file, parse, invalid);
  if (created === null) throw new Error(`${file} vanished while it was being created`);
  return created;
}

async function createSecret(file: string, secret: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  await writeFile(temporary, secret, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, file);
  } catch (error) {
    if (!isErrorCode(error, 'EEXIST')) throw error;
  } finally {
    await unlink(temporary);
  }
}

async function readSecret<T>(
  file: string,
  parse: (text: string) => T | null,
  invalid: string,
): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return null;
    throw error;
  }
  const secret = parse(text.trim());
  if (secret === null) throw new Error(`${file} ${invalid}`);
  return secret;
}

function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}
