import { randomBytes } from 'node:crypto';
import type { calendar_v3 } from '@googleapis/calendar';
import { badRequest, notFound } from './fake-google-errors.js';
import type { JsonObject } from './fake-google-event-resource.js';

/**
 * Push notification channels of the fake (events.watch, channels.stop): a channel posts an
 * empty body with `X-Goog-*` headers to its webhook address, `sync` once when it opens, then
 * `exists` whenever the fake is told to notify (https://developers.google.com/workspace/calendar/api/guides/push).
 */

export type ResourceState = 'sync' | 'exists' | 'not_exists';

export interface WatchChannel {
  id: string;
  resourceId: string;
  resourceUri: string;
  address: string;
  token: string | null;
  /** Milliseconds since the epoch, by the fake's clock. */
  expiration: number;
}

export interface WatchDelivery {
  channelId: string;
  resourceState: ResourceState;
  messageNumber: number;
  /** The webhook's HTTP status, or null when it could not be reached (then `error` says why). */
  status: number | null;
  error: string | null;
}

/** Google's default channel lifetime when the request sets none: one week. */
const DEFAULT_TTL_MS = 7 * 24 * 3600 * 1000;
const DELIVERY_TIMEOUT_MS = 5_000;
const MAX_DELIVERIES_KEPT = 1_000;

export class FakeWatchChannels {
  readonly #channels = new Map<string, WatchChannel>();
  readonly #deliveries: WatchDelivery[] = [];
  readonly #inFlight = new Set<Promise<unknown>>();
  #messageNumber = 0;

  constructor(
    private readonly clock: () => Date,
    private readonly resourceUri: () => string,
  ) {}

  open(body: JsonObject): calendar_v3.Schema$Channel {
    const { id, type, address, token, expiration, params } = body;
    if (typeof id !== 'string' || id === '') throw badRequest('Missing channel id.', 'id');
    if (type !== 'web_hook' && type !== 'webhook')
      throw badRequest('Invalid channel type.', 'type');
    if (typeof address !== 'string' || !URL.canParse(address)) {
      throw badRequest('Invalid webhook address.', 'address');
    }
    const now = this.clock().getTime();
    const ttlSeconds = Number((params as { ttl?: unknown } | undefined)?.ttl);
    const expiresAt =
      expiration !== undefined
        ? Number(expiration)
        : now + (Number.isFinite(ttlSeconds) ? ttlSeconds * 1000 : DEFAULT_TTL_MS);
    const channel: WatchChannel = {
      id,
      resourceId: randomBytes(12).toString('base64url'),
      resourceUri: this.resourceUri(),
      address,
      token: typeof token === 'string' ? token : null,
      expiration: expiresAt,
    };
    this.#channels.set(id, channel);
    this.#track(this.#deliver(channel, 'sync'));
    return {
      kind: 'api#channel',
      id,
      resourceId: channel.resourceId,
      resourceUri: channel.resourceUri,
      token: channel.token,
      expiration: String(channel.expiration),
    };
  }

  stop(body: JsonObject): void {
    const channel = typeof body.id === 'string' ? this.#channels.get(body.id) : undefined;
    if (!channel || channel.resourceId !== body.resourceId) throw notFound();
    this.#channels.delete(channel.id);
  }

  list(): WatchChannel[] {
    return [...this.#channels.values()].map((channel) => ({ ...channel }));
  }

  deliveries(): WatchDelivery[] {
    return [...this.#deliveries];
  }

  /** Posts `state` to every channel not yet expired (expired ones are dropped). */
  async notify(state: ResourceState): Promise<WatchDelivery[]> {
    const now = this.clock().getTime();
    const live = [...this.#channels.values()].filter((channel) => {
      if (channel.expiration > now) return true;
      this.#channels.delete(channel.id);
      return false;
    });
    const deliveries = Promise.all(live.map((channel) => this.#deliver(channel, state)));
    this.#track(deliveries);
    return deliveries;
  }

  /** Waits for deliveries under way (the `sync` message sent when a channel opens). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }

  #track(promise: Promise<unknown>): void {
    this.#inFlight.add(promise);
    void promise.finally(() => this.#inFlight.delete(promise));
  }

  async #deliver(channel: WatchChannel, state: ResourceState): Promise<WatchDelivery> {
    this.#messageNumber += 1;
    const headers: Record<string, string> = {
      'X-Goog-Channel-ID': channel.id,
      'X-Goog-Channel-Expiration': new Date(channel.expiration).toUTCString(),
      'X-Goog-Resource-ID': channel.resourceId,
      'X-Goog-Resource-URI': channel.resourceUri,
      'X-Goog-Resource-State': state,
      'X-Goog-Message-Number': String(this.#messageNumber),
    };
    if (channel.token !== null) headers['X-Goog-Channel-Token'] = channel.token;
    const delivery: WatchDelivery = {
      channelId: channel.id,
      resourceState: state,
      messageNumber: this.#messageNumber,
      status: null,
      error: null,
    };
    try {
      const response = await fetch(channel.address, {
        method: 'POST',
        headers,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await response.body?.cancel();
      delivery.status = response.status;
    } catch (error) {
      delivery.error = error instanceof Error ? error.message : String(error);
    }
    this.#deliveries.push(delivery);
    if (this.#deliveries.length > MAX_DELIVERIES_KEPT) this.#deliveries.shift();
    return delivery;
  }
}
