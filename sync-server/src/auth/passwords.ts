import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/**
 * Password hashing with argon2id (the library's default algorithm; its `Algorithm` enum is a
 * `const enum`, which isolated modules cannot import). Parameters follow the OWASP minimum for
 * argon2id: 19 MiB, 2 passes, 1 lane. They are written into each PHC string, so raising them
 * later still verifies old hashes.
 */
const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  return verify(passwordHash, password);
}

let dummyHash: Promise<string> | null = null;

function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(24).toString('base64url'));
  return dummyHash;
}

/** Computes the dummy hash ahead of the first login, so even that one is not slower. */
export async function preparePasswordHashing(): Promise<void> {
  await dummyPasswordHash();
}

/**
 * Costs what a real verification costs and always fails: a login for an unknown account must
 * take as long as one with a wrong password, or response times would reveal which accounts exist.
 */
export async function verifyUnknownAccountPassword(password: string): Promise<false> {
  await verify(await dummyPasswordHash(), password);
  return false;
}
