import { afterEach, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { silentLogger } from '../logger.js';
import type { Delivery } from './delivery.js';
import { createDelivery } from './delivery-threads.js';
import { startPushServiceStandIn } from './push-service-stand-in.js';
import { startSmtpSink } from './smtp-sink.js';
import { createVapidAuthorization } from './vapid-authorization.js';

/**
 * Pushes and emails sent by delivery threads reach a real SMTP server and a push service that
 * decrypts each payload as a browser would; a failure in a thread reaches the caller as the
 * error it was.
 */
const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

async function threads(smtpUrl: string | null, count = 2): Promise<Delivery> {
  const delivery = createDelivery({
    threads: count,
    smtpUrl,
    smtpConnections: 4,
    allowPrivateEndpoints: true,
    log: silentLogger,
  });
  closing.push(() => delivery.close());
  return delivery;
}

describe('delivery threads', () => {
  it('send every push and email handed to them', async () => {
    const smtp = await startSmtpSink();
    closing.push(() => smtp.close());
    const push = await startPushServiceStandIn();
    closing.push(() => push.close());
    const delivery = await threads(smtp.url);
    const keys = webpush.generateVAPIDKeys();
    const authorization = createVapidAuthorization({ subject: 'mailto:t@localhost', ...keys });

    const sends = Array.from({ length: 20 }, async (_, i) => {
      const subscription = push.subscribe();
      const status = await delivery.push({
        endpoint: subscription.endpoint,
        p256dh: subscription.keys.p256dh,
        auth: subscription.keys.auth,
        payload: JSON.stringify({ n: i }),
        authorization: authorization(subscription.endpoint),
        ttlSeconds: 60,
      });
      expect(status).toBe(201);
      await delivery.email({
        from: 'Tasks <tasks@localhost>',
        to: `user${i}@example.com`,
        subject: `Reminder ${i}`,
        text: `Plain ${i}`,
        html: `<p>Rich ${i}</p>`,
        messageId: `<reminder-${i}@localhost>`,
        unsubscribe: { url: 'http://127.0.0.1/unsubscribe', comment: 'Stop reminder emails' },
      });
    });
    await Promise.all(sends);

    expect(push.refused).toEqual([]);
    expect(
      push.received.map((received) => (received.payload as { n: number }).n).sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(smtp.mails.map((mail) => mail.subject).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `Reminder ${i}`).sort(),
    );
    const first = smtp.mails.find((mail) => mail.subject === 'Reminder 0');
    expect(first?.text?.trim()).toBe('Plain 0');
    expect(first?.messageId).toBe('<reminder-0@localhost>');
    const headerLines = new Map(first?.headerLines.map((h) => [h.key, h.line]) ?? []);
    expect(headerLines.get('list-unsubscribe')).toContain('<http://127.0.0.1/unsubscribe>');
    expect(headerLines.get('list-unsubscribe-post')).toBe(
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    );
  });

  it('hand back a failure as the error it was: a refused endpoint, an SMTP server that refuses', async () => {
    const smtp = await startSmtpSink({ refuseFirst: 1 });
    closing.push(() => smtp.close());
    const delivery = await threads(smtp.url, 1);
    const email = {
      from: 'tasks@localhost',
      to: 'user@example.com',
      subject: 'Refused once',
      text: 'text',
      html: '<p>html</p>',
      messageId: '<refused@localhost>',
    };
    await expect(delivery.email(email)).rejects.toThrow(/try again later/);
    await delivery.email(email);
    expect(smtp.mails.map((mail) => mail.subject)).toEqual(['Refused once']);

    // A private address is refused in the thread, before any request leaves.
    const keys = webpush.generateVAPIDKeys();
    const endpoint = 'http://10.0.0.1/push/1';
    const subscriber = webpush.generateVAPIDKeys();
    await expect(
      delivery.push({
        endpoint,
        p256dh: subscriber.publicKey,
        auth: 'AAAAAAAAAAAAAAAAAAAAAA',
        payload: '{}',
        authorization: createVapidAuthorization({ subject: 'mailto:t@localhost', ...keys })(
          endpoint,
        ),
        ttlSeconds: 60,
      }),
    ).rejects.toThrow(/10\.0\.0\.1|private|not allowed/i);
  });

  it('refuse email when no SMTP server is configured, saying so', async () => {
    const delivery = await threads(null, 1);
    await expect(
      delivery.email({
        from: 'tasks@localhost',
        to: 'user@example.com',
        subject: 's',
        text: 't',
        html: 'h',
        messageId: '<x@localhost>',
      }),
    ).rejects.toThrow('no SMTP server is configured (SMTP_URL)');
  });
});
