/**
 * How many reminders per second one node sends, every channel on: the in-app notification
 * written into each user's document, an email to a real SMTP server (smtp-server, on 127.0.0.1)
 * and a Web Push to the push-service stand-in, which verifies the VAPID header and decrypts each
 * payload as a browser would. The reminders all fall due in the same minute; the scheduler
 * claims and sends them as the server does (`runDue`), and the benchmark prints the rate, the
 * time to send them all and whether that fits in the minute (the aim: 100,000 in one minute).
 *
 *   pnpm build && cd sync-server && node --import tsx bench/reminders.bench.ts
 *
 * PostgreSQL when DATABASE_URL (or TEST_DATABASE_URL) is set, PGlite otherwise.
 * BENCH_REMINDERS (default 100,000), BENCH_USERS (default 1,000: reminders spread over them),
 * BENCH_SECONDS (default 300: the send phase stops there, a bound on the run).
 * The SMTP server and the push stand-in run in this process: their CPU counts against the node.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { createTask, updateSettings } from '@tasks/crdt';
import { SMTPServer } from 'smtp-server';
import webpush from 'web-push';
import { insertTestUser } from '../src/calendar/connection-test-rows.js';
import { openSyncFixture } from '../src/calendar/sync-test-fixture.js';
import { testDatabaseUrl } from '../src/db/test-databases.js';
import { silentLogger } from '../src/logger.js';
import { createEmailChannel } from '../src/notifications/email-channel.js';
import { createPushActionTokens } from '../src/notifications/push-action-tokens.js';
import { createPushChannel } from '../src/notifications/push-channel.js';
import { startPushServiceStandIn } from '../src/notifications/push-service-stand-in.js';
import { createPushSubscriptionStore } from '../src/notifications/push-subscriptions.js';
import { createReminderScheduler } from '../src/notifications/reminder-scheduler.js';

const REMINDERS = Number(process.env.BENCH_REMINDERS ?? 100_000);
const USERS = Math.min(REMINDERS, Number(process.env.BENCH_USERS ?? 1000));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 300);
/** Which channels besides in-app: `email,push` (default), `email`, `push` or `none`. */
const CHANNELS = new Set((process.env.BENCH_CHANNELS ?? 'email,push').split(','));
const MINUTE = Date.parse('2027-03-10T09:00:00Z');

let now = MINUTE - 3600_000;
const clock = () => new Date(now);

let smtpReceived = 0;
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, _session, callback) {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      smtpReceived += 1;
      callback();
    });
  },
});
await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
const smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as { port: number }).port}`;
const push = await startPushServiceStandIn();

const kind = testDatabaseUrl() ? 'postgres' : 'pglite';
const fixture = await openSyncFixture(kind, {
  docQuotaBytes: 256 * 1024 * 1024,
  commitWindowMs: 2,
  clock,
});
const { db, access } = fixture;
console.log(
  `reminders benchmark: ${REMINDERS.toLocaleString('en')} reminders due in one minute over ${USERS.toLocaleString('en')} users, in-app + ${[...CHANNELS].join(' + ')}, ${kind}, ${os.cpus().length} CPUs`,
);

// Seed: each user's document gets its tasks, each with one reminder in the minute; email and
// push on, one push subscription per user.
const subscriptions = createPushSubscriptionStore(db, clock);
const seedStart = performance.now();
const userIds: string[] = [];
for (let user = 0; user < USERS; user++) {
  const userId = await insertTestUser(db);
  userIds.push(userId);
  const tasks = Math.floor(REMINDERS / USERS) + (user < REMINDERS % USERS ? 1 : 0);
  await access.use(userId, [], (docs, ctx) => {
    updateSettings(docs, { notifyEmail: true, notifyPush: true });
    for (let i = 0; i < tasks; i++) {
      // Spread over the minute, to the second.
      const due = new Date(MINUTE + ((user * 7 + i) % 60) * 1000).toISOString();
      createTask(
        docs,
        { title: `Task ${i} of user ${user}`, dueDate: due, reminders: [{ minutesBefore: 0 }] },
        ctx,
      );
    }
  });
  const sub = push.subscribe();
  await subscriptions.save(userId, {
    endpoint: sub.endpoint,
    p256dh: sub.keys.p256dh,
    auth: sub.keys.auth,
  });
}
console.log(`  seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

const email = createEmailChannel({
  smtpUrl,
  from: 'Tasks <bench@localhost>',
  db,
  publicUrl: null,
  maxConnections: 10,
});
const scheduler = createReminderScheduler({
  db,
  access,
  changes: () => () => undefined,
  log: silentLogger,
  clock,
  runJobs: false,
  batch: 500,
  concurrency: 64,
  channels: [
    ...(CHANNELS.has('email') ? [email] : []),
    ...(CHANNELS.has('push')
      ? [
          createPushChannel({
            subscriptions,
            keys: webpush.generateVAPIDKeys(),
            subject: 'mailto:bench@localhost',
            allowPrivateEndpoints: true,
            log: silentLogger,
            actionTokens: createPushActionTokens({ secret: 'bench-'.repeat(8), db, clock }),
          }),
        ]
      : []),
  ],
});

const planStart = performance.now();
let planned = 0;
for (const userId of userIds) planned += (await scheduler.planUser(userId)).added;
const planSeconds = (performance.now() - planStart) / 1000;
console.log(
  `  planned ${planned.toLocaleString('en')} in ${planSeconds.toFixed(1)} s (${Math.round(planned / planSeconds).toLocaleString('en')}/s)`,
);

// The minute is over: everything is due. Send as the server's poll does, bounded in time.
now = MINUTE + 60_000;
const sendStart = performance.now();
let sent = 0;
const cpuBefore = process.cpuUsage();
// The bound: stopping makes the running round end after its current batch.
const bound = setTimeout(() => void scheduler.stop(), SECONDS * 1000);
while (sent < planned && performance.now() - sendStart < SECONDS * 1000) {
  const round = await scheduler.runDue();
  sent += round;
  if (round === 0) await new Promise((resolve) => setTimeout(resolve, 50));
}
clearTimeout(bound);
const sendSeconds = (performance.now() - sendStart) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const rate = sent / sendSeconds;
console.log(
  `  sent ${sent.toLocaleString('en')} of ${planned.toLocaleString('en')} in ${sendSeconds.toFixed(1)} s: ${Math.round(rate).toLocaleString('en')} reminders/s`,
);
console.log(
  `  delivered: ${smtpReceived.toLocaleString('en')} emails, ${push.received.length.toLocaleString('en')} pushes decrypted, ${push.refused.length} refused`,
);
console.log(
  `  process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (${(((cpu.user + cpu.system) / 1e6 / sendSeconds) * 100).toFixed(0)}% of one core), RSS ${Math.round(process.memoryUsage().rss / 1e6)} MB`,
);
console.log(
  sent === planned && sendSeconds <= 60
    ? `  all ${planned.toLocaleString('en')} sent within the minute`
    : `  at this rate one node sends ${Math.round(rate * 60).toLocaleString('en')} reminders in a minute (aim 100,000)`,
);

email.close();
await fixture.dispose();
await push.close();
await new Promise<void>((resolve) => smtp.close(() => resolve()));
process.exit(0);
