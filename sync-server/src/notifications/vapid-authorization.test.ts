import { describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { verifyVapid } from './push-service-stand-in.js';
import { createVapidAuthorization } from './vapid-authorization.js';

const keys = webpush.generateVAPIDKeys();
const details = { subject: 'mailto:ops@example.com', ...keys };

/** The header as a push service checks it: signed by our key, for `origin`, from our subject. */
async function verified(header: string, origin: string) {
  const claims = await verifyVapid(header, origin);
  expect(claims.publicKey).toBe(keys.publicKey);
  expect(claims.sub).toBe(details.subject);
  return claims;
}

describe('VAPID authorization', () => {
  it('signs one header per push service origin and reuses it for an hour', async () => {
    let now = 0;
    const authorization = createVapidAuthorization(details, () => now);
    const first = authorization('https://fcm.googleapis.com/fcm/send/abc');
    expect(authorization('https://fcm.googleapis.com/fcm/send/def')).toBe(first);
    await verified(first, 'https://fcm.googleapis.com');

    const mozilla = authorization('https://updates.push.services.mozilla.com/wpush/v2/xyz');
    expect(mozilla).not.toBe(first);
    await verified(mozilla, 'https://updates.push.services.mozilla.com');

    now += 3_599_999;
    expect(authorization('https://fcm.googleapis.com/fcm/send/abc')).toBe(first);
    now += 1;
    const renewed = authorization('https://fcm.googleapis.com/fcm/send/abc');
    const { exp } = await verified(renewed, 'https://fcm.googleapis.com');
    // web-push stamps 12 h from the machine's clock: a reused header has 11 h or more left.
    expect(exp * 1000 - Date.now()).toBeGreaterThan(11 * 3_600_000);
  });

  it('keeps at most 64 origins, signing again for one it let go', () => {
    const authorization = createVapidAuthorization(details, () => 0);
    const first = authorization('https://push-0.example.com/s');
    for (let i = 1; i <= 64; i++) authorization(`https://push-${i}.example.com/s`);
    expect(authorization('https://push-64.example.com/s')).toBe(
      authorization('https://push-64.example.com/other'),
    );
    // push-0 was the oldest of 65: let go, so a new header (a new signature) is made for it.
    expect(authorization('https://push-0.example.com/s')).not.toBe(first);
  });
});
