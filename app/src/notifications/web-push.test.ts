import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base64UrlBytes } from './web-push.js';

describe('the VAPID key as PushManager.subscribe takes it', () => {
  it('turns the server’s URL-safe base64 key into its 65 bytes (an uncompressed P-256 point)', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const jwk = publicKey.export({ format: 'jwk' });
    const point = Buffer.concat([
      Buffer.from([4]),
      Buffer.from(jwk.x ?? '', 'base64url'),
      Buffer.from(jwk.y ?? '', 'base64url'),
    ]);
    // As the server gives it: URL-safe alphabet, no padding.
    const text = point.toString('base64url');
    expect(text).not.toContain('=');
    expect(Buffer.from(base64UrlBytes(text))).toEqual(point);
  });

  it('reads - and _ as + and /, whatever the padding', () => {
    expect([...base64UrlBytes('-_8')]).toEqual([0xfb, 0xff]);
    expect([...base64UrlBytes('-_8=')]).toEqual([0xfb, 0xff]);
  });
});
