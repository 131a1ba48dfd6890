/**
 * The receiving end of Graph change notifications, independent of the HTTP framework: the route
 * hands over the request URL and body and writes back what this returns.
 * https://learn.microsoft.com/graph/change-notifications-delivery-webhooks
 */
import { timingSafeEqual } from 'node:crypto';
import type { GraphChangeNotification } from './graph-wire.js';

export type GraphNotificationAnswer =
  /** The validation handshake: echo the token as text/plain, 200, within 10 seconds. */
  | { kind: 'validation'; status: 200; contentType: 'text/plain'; body: string }
  /** Notifications whose clientState is ours; answer 202 at once and sync afterwards. */
  | {
      kind: 'notifications';
      status: 202;
      notifications: GraphChangeNotification[];
      rejected: number;
    }
  | { kind: 'invalid'; status: 400; reason: string };

function sameSecret(a: string | null, b: string): boolean {
  if (a === null) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function isNotification(value: unknown): value is GraphChangeNotification {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<GraphChangeNotification>;
  return (
    typeof candidate.subscriptionId === 'string' &&
    typeof candidate.changeType === 'string' &&
    typeof candidate.resource === 'string' &&
    typeof candidate.resourceData === 'object' &&
    candidate.resourceData !== null
  );
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/**
 * What to answer Graph. Notifications carrying another clientState are dropped, as Graph's
 * documentation asks: anyone can post to a public notification URL.
 */
export function answerGraphNotification(
  request: { url: string; body: string },
  clientState: string,
): GraphNotificationAnswer {
  // Graph validates with `?validationToken=…` (URL-encoded) and expects it back decoded.
  const token = new URL(request.url, 'http://localhost').searchParams.get('validationToken');
  if (token !== null)
    return { kind: 'validation', status: 200, contentType: 'text/plain', body: token };
  const parsed = parseJson(request.body);
  const value =
    typeof parsed === 'object' && parsed !== null
      ? (parsed as { value?: unknown }).value
      : undefined;
  if (!Array.isArray(value) || !value.every(isNotification)) {
    return { kind: 'invalid', status: 400, reason: 'Not a Graph change notification collection' };
  }
  const notifications = value.filter((notification) =>
    sameSecret(notification.clientState, clientState),
  );
  return {
    kind: 'notifications',
    status: 202,
    notifications,
    rejected: value.length - notifications.length,
  };
}
