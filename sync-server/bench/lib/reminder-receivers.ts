/**
 * The reminders benchmark's receivers, in a process of their own as they would be in real life
 * (a mail server, a browser vendor's push service): a real SMTP server (smtp-server) and the push
 * service stand-in, which verifies each VAPID header and decrypts each payload. Their CPU is
 * measured apart from the node's. Driven over IPC by `reminders.bench.ts`:
 *   → { type: 'subscribe' }   ← { type: 'subscription', subscription }
 *   → { type: 'counts' }      ← { type: 'counts', emails, pushes, refused }
 * On start it sends { type: 'ready', smtpUrl }.
 */
import { SMTPServer } from 'smtp-server';
import { startPushServiceStandIn } from '../../src/notifications/push-service-stand-in.js';

type Request = { type: 'subscribe' } | { type: 'counts' };

let emails = 0;
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, _session, callback) {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      emails += 1;
      callback();
    });
  },
});
await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
const push = await startPushServiceStandIn();
const send = (message: unknown) => process.send?.(message);

process.on('message', (request: Request) => {
  if (request.type === 'subscribe') {
    send({ type: 'subscription', subscription: push.subscribe() });
  } else if (request.type === 'counts') {
    send({
      type: 'counts',
      emails,
      pushes: push.received.length,
      refused: push.refused.slice(0, 5),
    });
  }
});
process.on('disconnect', () => {
  void push.close().finally(() => smtp.close(() => process.exit(0)));
});
send({
  type: 'ready',
  smtpUrl: `smtp://127.0.0.1:${(smtp.server.address() as { port: number }).port}`,
});
