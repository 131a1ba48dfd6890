import { createGuardedPost, isPrivateAddress } from '@tasks/connectors';
import nodemailer from 'nodemailer';
import webpush from 'web-push';

/**
 * The last step of a notification, where most of its CPU goes: encrypting a Web Push payload
 * for the subscription (RFC 8291: a fresh P-256 key pair and ECDH per message) and posting it to
 * the push service; building a MIME email and writing it to the SMTP server. The channels decide
 * what to send (reading the database, signing tokens); a `Delivery` only sends, taking plain data,
 * so it runs the same in the main thread or in delivery threads (delivery-threads.ts).
 */
export interface PushDelivery {
  endpoint: string;
  p256dh: string;
  auth: string;
  /** The JSON payload, encrypted here for the subscription. */
  payload: string;
  /** The `Authorization` header (`vapid t=…, k=…`), signed once per push service. */
  authorization: string;
  ttlSeconds: number;
}

export interface EmailDelivery {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** `<id@domain>`: the same for a retry of the same message. */
  messageId: string;
  /** The one-click unsubscribe link of the email's kind (RFC 8058). */
  unsubscribe?: { url: string; comment: string };
}

export interface DeliveryOptions {
  /** Unset: no SMTP server, `email` throws. */
  smtpUrl: string | null;
  /** SMTP connections kept open at once. */
  smtpConnections: number;
  /** Loopback push endpoints allowed (tests with a local push service). */
  allowPrivateEndpoints: boolean;
}

export interface Delivery {
  /** Resolves with the push service's status (404 and 410: the subscription is gone). */
  push(message: PushDelivery): Promise<number>;
  /** Resolves once the SMTP server accepted the message. */
  email(message: EmailDelivery): Promise<void>;
  close(): Promise<void>;
}

/** A push service that has not answered within this is failed; the reminder is retried. */
const PUSH_TIMEOUT_MS = 10_000;

const isLoopback = (address: string) => /^(127\.|::1$|::ffff:127\.)/.test(address);

/** Sends in the calling thread. */
export function createInlineDelivery(options: DeliveryOptions): Delivery {
  // Push services listen on 443; a local stand-in (tests) on whatever port it got.
  const post = createGuardedPost(
    options.allowPrivateEndpoints
      ? {
          isAllowed: (address) => isLoopback(address) || !isPrivateAddress(address),
          allowedPorts: 'any',
        }
      : { allowedPorts: [443] },
  );
  // One configuration object: given the URL as a string, nodemailer reads the second argument
  // as defaults for every message, not transport options, so the pool was never on and each
  // email opened its own SMTP connection (connect, greeting, EHLO, STARTTLS in production).
  const transport =
    options.smtpUrl === null
      ? null
      : nodemailer.createTransport({
          url: options.smtpUrl,
          pool: true,
          maxConnections: Math.max(1, options.smtpConnections),
          // Messages one pooled connection sends before it is replaced (nodemailer's default: 100).
          maxMessages: Number.POSITIVE_INFINITY,
        });

  return {
    async push(message) {
      const request = webpush.generateRequestDetails(
        { endpoint: message.endpoint, keys: { p256dh: message.p256dh, auth: message.auth } },
        message.payload,
        {
          headers: { Authorization: message.authorization },
          TTL: message.ttlSeconds,
          urgency: 'high',
          contentEncoding: 'aes128gcm',
        },
      );
      return post({
        url: request.endpoint,
        headers: request.headers as Record<string, string>,
        body: request.body ?? null,
        timeoutMs: PUSH_TIMEOUT_MS,
      });
    },
    async email(message) {
      if (transport === null) throw new Error('no SMTP server is configured (SMTP_URL)');
      await transport.sendMail({
        from: message.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        messageId: message.messageId,
        ...(message.unsubscribe
          ? {
              list: { unsubscribe: message.unsubscribe },
              headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
            }
          : {}),
      });
    },
    async close() {
      transport?.close();
    },
  };
}
