import { ApiError, type Session } from '../session/session.js';
import { call } from '../your-data/data-api.js';

/**
 * This browser's Web Push subscription: asked for only when the user turns push on (the
 * permission prompt follows their click), made with the server's VAPID key and registered with
 * the server (`POST /notifications/push-subscriptions`); turned off by unsubscribing and
 * deleting it there. The server's id of the subscription is kept per account in localStorage.
 */
export type PushState =
  | { kind: 'unsupported'; reason: string }
  | { kind: 'blocked' }
  | { kind: 'off' }
  | { kind: 'on' };

/** A step that failed, said so the user knows what to do. */
export class PushSetupError extends Error {
  override name = 'PushSetupError';
}

interface Saved {
  id: string;
  endpoint: string;
}

const storageKey = (userId: string) => `tasks.push-subscription.${userId}`;

function loadSaved(userId: string): Saved | null {
  try {
    const value = JSON.parse(localStorage.getItem(storageKey(userId)) ?? 'null') as Saved | null;
    return typeof value?.id === 'string' && typeof value.endpoint === 'string' ? value : null;
  } catch {
    return null;
  }
}

/** Why this browser cannot receive push notifications here, or null when it can. */
function unsupportedReason(): string | null {
  if (
    !('serviceWorker' in navigator) ||
    !('PushManager' in window) ||
    !('Notification' in window)
  ) {
    return 'This browser cannot receive push notifications.';
  }
  if (!window.isSecureContext) return 'Push notifications need the app opened over https.';
  return null;
}

async function registration(): Promise<ServiceWorkerRegistration | null> {
  return (await navigator.serviceWorker.getRegistration()) ?? null;
}

export async function readPushState(session: Session): Promise<PushState> {
  const reason = unsupportedReason();
  if (reason) return { kind: 'unsupported', reason };
  const worker = await registration();
  if (!worker) {
    return {
      kind: 'unsupported',
      reason: 'The app’s service worker is not installed (reload the page, or it is off here).',
    };
  }
  if (Notification.permission === 'denied') return { kind: 'blocked' };
  const subscription = await worker.pushManager.getSubscription();
  const saved = loadSaved(session.userId);
  return subscription && saved?.endpoint === subscription.endpoint
    ? { kind: 'on' }
    : { kind: 'off' };
}

/** URL-safe base64 (the VAPID key as the server gives it) as bytes. */
export function base64UrlBytes(text: string): Uint8Array<ArrayBuffer> {
  const padded = text
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(text.length / 4) * 4, '=');
  const binary = atob(padded);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const sameKey = (a: ArrayBuffer | null, b: Uint8Array) =>
  a !== null && a.byteLength === b.byteLength && new Uint8Array(a).every((x, i) => x === b[i]);

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Asks for permission (call it from a click), subscribes and registers with the server. */
export async function turnPushOn(session: Session): Promise<void> {
  const reason = unsupportedReason();
  if (reason) throw new PushSetupError(reason);
  const permission = await Notification.requestPermission();
  if (permission === 'denied') {
    throw new PushSetupError(
      'Your browser blocks notifications for this site. Allow them in the browser’s site settings, then try again.',
    );
  }
  if (permission !== 'granted') {
    throw new PushSetupError('Notifications were not allowed. Try again and choose Allow.');
  }
  const worker = await registration();
  if (!worker) {
    throw new PushSetupError(
      'The app’s service worker is not installed yet. Reload the page and try again.',
    );
  }
  let publicKey: string;
  try {
    publicKey = (
      await call<{ public_key: string }>(session, 'GET', '/notifications/vapid-public-key')
    ).public_key;
  } catch (error) {
    throw new PushSetupError(`The server’s push key could not be fetched: ${messageOf(error)}`);
  }
  const key = base64UrlBytes(publicKey);
  let subscription: PushSubscription;
  try {
    // A subscription made with another key (the server's keys changed) cannot be reused.
    const existing = await worker.pushManager.getSubscription();
    if (existing && !sameKey(existing.options.applicationServerKey, key))
      await existing.unsubscribe();
    subscription = await worker.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: key,
    });
  } catch (error) {
    throw new PushSetupError(`This browser could not subscribe to push: ${messageOf(error)}`);
  }
  try {
    const saved = await call<Saved>(
      session,
      'POST',
      '/notifications/push-subscriptions',
      subscription.toJSON(),
    );
    localStorage.setItem(
      storageKey(session.userId),
      JSON.stringify({ id: saved.id, endpoint: saved.endpoint }),
    );
  } catch (error) {
    await subscription.unsubscribe().catch(() => false);
    throw new PushSetupError(`The server did not take the subscription: ${messageOf(error)}`);
  }
}

/** Unsubscribes this browser and deletes the subscription on the server. */
export async function turnPushOff(session: Session): Promise<void> {
  if (unsupportedReason()) return;
  const worker = await registration();
  const subscription = (await worker?.pushManager.getSubscription()) ?? null;
  const saved = loadSaved(session.userId);
  if (subscription) {
    try {
      await subscription.unsubscribe();
    } catch (error) {
      throw new PushSetupError(`This browser could not unsubscribe: ${messageOf(error)}`);
    }
  }
  localStorage.removeItem(storageKey(session.userId));
  if (!saved) return;
  try {
    await call(
      session,
      'DELETE',
      `/notifications/push-subscriptions/${encodeURIComponent(saved.id)}`,
    );
  } catch (error) {
    // Gone already is what we wanted; otherwise the push service's 410 removes it later.
    if (error instanceof ApiError && error.status === 404) return;
    throw new PushSetupError(
      `Push is off in this browser, but the server could not be told (${messageOf(error)}); it forgets the subscription at the next reminder.`,
    );
  }
}
