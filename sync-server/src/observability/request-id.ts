import { randomUUID } from 'node:crypto';

/** The header a request id comes in and goes back in. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

/** What we accept from a client or proxy: short, and nothing a log reader could trip over. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The caller's id when it is safe to repeat, else a fresh one. */
export function acceptRequestId(
  incoming: string | undefined,
  newId: () => string = randomUUID,
): string {
  return incoming !== undefined && SAFE_REQUEST_ID.test(incoming) ? incoming : newId();
}
