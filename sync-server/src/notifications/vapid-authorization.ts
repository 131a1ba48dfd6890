import webpush from 'web-push';

/**
 * The VAPID `Authorization` header of a push request (RFC 8292), one per push service. web-push
 * signs a new JWT (ES256, valid 12 h) for every request it builds, the largest CPU cost of
 * sending a push; the JWT names only the push service's origin, the subject and its expiry, so
 * one per origin serves every request to it for a while. Kept an hour (web-push stamps the
 * expiry from the machine's clock, so its age is measured on that clock too), at most
 * `MAX_ORIGINS` origins (endpoints come from users: the map stays bounded whatever they send).
 */
export interface VapidDetails {
  subject: string;
  publicKey: string;
  privateKey: string;
}

const REUSE_MS = 3_600_000;
const MAX_ORIGINS = 64;

export function createVapidAuthorization(
  details: VapidDetails,
  machineNow: () => number = Date.now,
): (endpoint: string) => string {
  const signed = new Map<string, { header: string; at: number }>();
  return (endpoint) => {
    const audience = new URL(endpoint).origin;
    const now = machineNow();
    const kept = signed.get(audience);
    if (kept && now - kept.at < REUSE_MS) return kept.header;
    const { Authorization } = webpush.getVapidHeaders(
      audience,
      details.subject,
      details.publicKey,
      details.privateKey,
      'aes128gcm',
    );
    signed.delete(audience);
    if (signed.size >= MAX_ORIGINS) {
      const oldest = signed.keys().next().value;
      if (oldest !== undefined) signed.delete(oldest);
    }
    signed.set(audience, { header: Authorization, at: now });
    return Authorization;
  };
}
