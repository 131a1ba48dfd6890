/**
 * Change notification subscriptions of the Graph fake.
 * https://learn.microsoft.com/graph/change-notifications-delivery-webhooks
 *
 * Modelled: the validation handshake on create (a POST to `notificationUrl?validationToken=…`
 * that must answer 200 with the token as text/plain within 10 s), the 4,230-minute limit on
 * event subscriptions, one notification per change with the subscription's clientState,
 * delivered in the background. Not modelled: https-only notification URLs, lifecycle
 * notifications, retries of failed deliveries, rich notifications.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { FakeGraphBadRequest, type FakeGraphEvent, type JsonObject } from './fake-graph-events.js';
import type { GraphChangeNotification, GraphSubscription } from './graph-wire.js';

const USER_ID = '6e7b2c1a-0f4d-4b8e-a3c2-9d1e5f7a0b42';
const TENANT_ID = 'b1f0c6d2-8a3e-4c57-9e21-3d4f5a6b7c80';
const MAX_MINUTES = 4230;
const HANDSHAKE_TIMEOUT_MS = 10_000;
const MAX_DELIVERIES_KEPT = 1000;

export interface FakeGraphDelivery {
  subscriptionId: string;
  /** The status the subscriber answered, or null when it did not answer. */
  status: number | null;
  notifications: GraphChangeNotification[];
}

interface StoredSubscription extends GraphSubscription {
  calendarId: string;
  changeTypes: Set<string>;
}

export class FakeGraphSubscriptions {
  private readonly stored = new Map<string, StoredSubscription>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly delivered: FakeGraphDelivery[] = [];

  constructor(
    private readonly clock: () => Date,
    private readonly calendarIds: ReadonlySet<string>,
    private readonly defaultCalendarId: string,
  ) {}

  list(): GraphSubscription[] {
    return [...this.stored.values()].map(
      ({ calendarId: _calendarId, changeTypes: _changeTypes, ...subscription }) => subscription,
    );
  }

  deliveries(): FakeGraphDelivery[] {
    return this.delivered.map((delivery) => ({
      ...delivery,
      notifications: [...delivery.notifications],
    }));
  }

  /** Waits for the deliveries under way (each bounded by its timeout). */
  async settled(): Promise<void> {
    for (let round = 0; round < 100 && this.inFlight.size > 0; round += 1) {
      await Promise.all([...this.inFlight]);
    }
  }

  private calendarOf(resource: string): string {
    const match = /^\/?me\/(?:calendars\/([^/]+)\/)?events$/i.exec(resource);
    const calendarId = match
      ? match[1] === undefined
        ? this.defaultCalendarId
        : decodeURIComponent(match[1])
      : null;
    if (calendarId === null || !this.calendarIds.has(calendarId)) {
      throw new FakeGraphBadRequest('ExtensionError', `Unsupported resource "${resource}"`);
    }
    return calendarId;
  }

  /** POST /subscriptions: validates, performs the handshake, stores. */
  async create(body: JsonObject): Promise<GraphSubscription> {
    const { changeType, notificationUrl, resource, expirationDateTime, clientState } = body;
    if (
      typeof changeType !== 'string' ||
      typeof notificationUrl !== 'string' ||
      typeof resource !== 'string'
    ) {
      throw new FakeGraphBadRequest(
        'InvalidRequest',
        'changeType, notificationUrl and resource are required',
      );
    }
    const changeTypes = new Set(changeType.split(',').map((type) => type.trim()));
    if (![...changeTypes].every((type) => ['created', 'updated', 'deleted'].includes(type))) {
      throw new FakeGraphBadRequest('InvalidRequest', `Unsupported changeType "${changeType}"`);
    }
    const expires = Date.parse(String(expirationDateTime));
    const now = this.clock().getTime();
    if (Number.isNaN(expires) || expires <= now || expires > now + MAX_MINUTES * 60_000) {
      throw new FakeGraphBadRequest(
        'InvalidRequest',
        `expirationDateTime must be within ${MAX_MINUTES} minutes from now`,
      );
    }
    if (!URL.canParse(notificationUrl) || !/^https?:$/.test(new URL(notificationUrl).protocol)) {
      throw new FakeGraphBadRequest('InvalidRequest', 'notificationUrl must be an absolute URL');
    }
    const calendarId = this.calendarOf(resource);
    await this.handshake(notificationUrl);
    const subscription: StoredSubscription = {
      id: randomUUID(),
      resource,
      changeType,
      notificationUrl,
      expirationDateTime: new Date(expires).toISOString(),
      clientState: typeof clientState === 'string' ? clientState : null,
      calendarId,
      changeTypes,
    };
    this.stored.set(subscription.id, subscription);
    const { calendarId: _calendarId, changeTypes: _changeTypes, ...answer } = subscription;
    return answer;
  }

  remove(id: string): boolean {
    return this.stored.delete(id);
  }

  private async handshake(notificationUrl: string): Promise<void> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomBytes(8).toString('hex')}`;
    const url = new URL(notificationUrl);
    url.searchParams.set('validationToken', token);
    let answer: string | null = null;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        signal: AbortSignal.timeout(HANDSHAKE_TIMEOUT_MS),
      });
      const contentType = response.headers.get('content-type') ?? '';
      const text = await response.text();
      if (response.status === 200 && contentType.startsWith('text/plain')) answer = text;
    } catch (error) {
      // No answer in time is a failed validation, as with Graph; the reason goes in the message.
      throw new FakeGraphBadRequest(
        'ValidationError',
        `Subscription validation request failed: ${String(error)}`,
      );
    }
    if (answer !== token) {
      throw new FakeGraphBadRequest(
        'ValidationError',
        'Subscription validation request failed. Response must exactly match validationToken query parameter.',
      );
    }
  }

  /** After a change: one notification to each live subscription that asked for this kind. */
  notify(changeType: 'created' | 'updated' | 'deleted', event: FakeGraphEvent): void {
    const now = this.clock().getTime();
    for (const subscription of this.stored.values()) {
      if (subscription.calendarId !== event.calendarId || !subscription.changeTypes.has(changeType))
        continue;
      if (Date.parse(subscription.expirationDateTime) <= now) continue;
      const resource = `Users/${USER_ID}/Events/${event.id}`;
      const notification: GraphChangeNotification = {
        subscriptionId: subscription.id,
        subscriptionExpirationDateTime: subscription.expirationDateTime,
        changeType,
        resource,
        clientState: subscription.clientState ?? null,
        tenantId: TENANT_ID,
        resourceData: {
          '@odata.type': '#Microsoft.Graph.Event',
          '@odata.id': resource,
          '@odata.etag': `W/"${event.changeKey}"`,
          id: event.id,
        },
      };
      const delivery = this.deliver(subscription, notification).finally(() =>
        this.inFlight.delete(delivery),
      );
      this.inFlight.add(delivery);
    }
  }

  private async deliver(
    subscription: StoredSubscription,
    notification: GraphChangeNotification,
  ): Promise<void> {
    let status: number | null = null;
    try {
      const response = await fetch(subscription.notificationUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ value: [notification] }),
        signal: AbortSignal.timeout(HANDSHAKE_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      status = response.status;
    } catch (error) {
      // An unreachable subscriber is recorded (status null), as Graph would log a failed delivery.
      if (!(error instanceof Error)) throw error;
    }
    this.delivered.push({ subscriptionId: subscription.id, status, notifications: [notification] });
    if (this.delivered.length > MAX_DELIVERIES_KEPT) this.delivered.shift();
  }
}
