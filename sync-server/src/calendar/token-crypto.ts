import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Calendar secrets at rest (spec 7.3: OAuth tokens and CalDAV passwords encrypted with
 * AES-256): AES-256-GCM with a random 96-bit IV per value and its 128-bit tag, sealed as
 * `v1:<iv>:<tag>:<ciphertext>` (base64url). The version prefix leaves room for a new key or
 * algorithm without guessing what an old value is.
 *
 * Each value is bound to where it is stored (`context`, e.g. `<connection id>:access_token`)
 * as GCM associated data: a sealed token copied into another row or column does not open.
 */
export interface TokenCrypto {
  seal(plaintext: string, context: string): string;
  /** Throws TokenDecryptError when the value was altered, sealed elsewhere or with another key. */
  open(sealed: string, context: string): string;
}

export class TokenDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenDecryptError';
  }
}

export const TOKEN_KEY_BYTES = 32;
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';

/**
 * A 32-byte key written as 64 hex digits or as base64 / base64url (43 or 44 characters).
 * Returns null for anything else, so the caller names the variable in its error.
 */
export function parseTokenKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(trimmed)) return null;
  const key = Buffer.from(trimmed.replace(/=+$/, ''), 'base64url');
  return key.length === TOKEN_KEY_BYTES ? key : null;
}

export function createTokenCrypto(key: Uint8Array): TokenCrypto {
  if (key.length !== TOKEN_KEY_BYTES) {
    throw new Error(`the token key must be ${TOKEN_KEY_BYTES} bytes, not ${key.length}`);
  }
  const secret = Buffer.from(key);
  return {
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, secret, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const parts = [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url'));
      return [VERSION, ...parts].join(':');
    },
    open(sealed, context) {
      const [version, iv, tag, ciphertext, ...rest] = sealed.split(':');
      if (
        version !== VERSION ||
        iv === undefined ||
        tag === undefined ||
        ciphertext === undefined
      ) {
        throw new TokenDecryptError('not a sealed value of a known version');
      }
      if (rest.length > 0) throw new TokenDecryptError('not a sealed value of a known version');
      const ivBytes = Buffer.from(iv, 'base64url');
      const tagBytes = Buffer.from(tag, 'base64url');
      if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) {
        throw new TokenDecryptError('the sealed value is malformed');
      }
      const decipher = createDecipheriv(ALGORITHM, secret, ivBytes, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tagBytes);
      try {
        const plain = Buffer.concat([
          decipher.update(Buffer.from(ciphertext, 'base64url')),
          decipher.final(),
        ]);
        return plain.toString('utf8');
      } catch (error) {
        // GCM's only answer: altered, sealed for another place, or another key.
        if (error instanceof Error) {
          throw new TokenDecryptError('the sealed value does not open with this key and context');
        }
        throw error;
      }
    },
  };
}
