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
 * BENCH_SECONDS (default 300: the send phase stops there, a bound on the run), BENCH_BATCH (jobs
 * one claim takes, default 1,000), BENCH_CONCURRENCY (users read and messages sent at once per
 * channel, default 128), BENCH_SMTP_CONNECTIONS (pooled SMTP connections, default 16, shared out among the
 * delivery threads), BENCH_DELIVERY_THREADS (as DELIVERY_THREADS: one per core but one, 1 to 4; 0: the
 * main thread sends).
 * The SMTP server and the push stand-in run in a process of their own (bench/lib/
 * reminder-receivers.ts); the CPU per reminder of the node, its main thread, PostgreSQL's
 * processes and the receivers is printed, with the cores 100,000 a minute would take.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createTask, updateSettings } from '@tasks/crdt';
import webpush from 'web-push';
import { insertTestUser } from '../src/calendar/connection-test-rows.js';
import { openSyncFixture } from '../src/calendar/sync-test-fixture.js';
import { testDatabaseUrl } from '../src/db/test-databases.js';
import { silentLogger } from '../src/logger.js';
import { createBatchedPushSubscriptions } from '../src/notifications/batched-push-subscriptions.js';
import { createDelivery } from '../src/notifications/delivery-threads.js';
import { createEmailChannel } from '../src/notifications/email-channel.js';
import { createPushActionTokens } from '../src/notifications/push-action-tokens.js';
import { createPushChannel } from '../src/notifications/push-channel.js';
import type { StandInSubscription } from '../src/notifications/push-service-stand-in.js';
import { createPushSubscriptionStore } from '../src/notifications/push-subscriptions.js';
import type { ReminderChannel } from '../src/notifications/reminder-channel.js';
import { createReminderScheduler } from '../src/notifications/reminder-scheduler.js';
import {
  readCommandCpuSeconds,
  readCpuSeconds,
  startProcess,
  stopProcess,
} from './lib/processes.js';

type ReceiverReply =
  | { type: 'ready'; smtpUrl: string }
  | { type: 'subscription'; subscription: StandInSubscription }
  | { type: 'counts'; emails: number; pushes: number; refused: string[] };

const REMINDERS = Number(process.env.BENCH_REMINDERS ?? 100_000);
const USERS = Math.min(REMINDERS, Number(process.env.BENCH_USERS ?? 1000));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 300);
/** Which channels besides in-app: `email,push` (default), `email`, `push` or `none`. */
const CHANNELS = new Set((process.env.BENCH_CHANNELS ?? 'email,push').split(','));
const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 128);
const SMTP_CONNECTIONS = Number(process.env.BENCH_SMTP_CONNECTIONS ?? 16);
/** Threads that encrypt pushes and write emails, as DELIVERY_THREADS (0: the main thread). */
const DELIVERY_THREADS = Number(
  process.env.BENCH_DELIVERY_THREADS ?? Math.min(4, Math.max(1, os.availableParallelism() - 1)),
);
const MINUTE = Date.parse('2027-03-10T09:00:00Z');

let now = MINUTE - 3600_000;
const clock = () => new Date(now);

// The receivers run in a process of their own: their CPU is not the node's.
const receivers = startProcess(
  'receivers',
  process.execPath,
  ['--import', 'tsx', fileURLToPath(new URL('./lib/reminder-receivers.ts', import.meta.url))],
  { cwd: process.cwd(), env: process.env, ipc: true },
);
const replies: ((message: ReceiverReply) => void)[] = [];
receivers.child.on('message', (message: ReceiverReply) => replies.shift()?.(message));
const ask = <T extends ReceiverReply['type']>(
  request: { type: string } | null,
  expected: T,
): Promise<Extract<ReceiverReply, { type: T }>> =>
  new Promise((resolve, reject) => {
    replies.push((message) =>
      message.type === expected
        ? resolve(message as Extract<ReceiverReply, { type: T }>)
        : reject(new Error(`receivers answered ${message.type}, not ${expected}`)),
    );
    if (request) receivers.child.send(request);
  });
const { smtpUrl } = await ask(null, 'ready');
const push = {
  subscribe: async () => (await ask({ type: 'subscribe' }, 'subscription')).subscription,
  counts: () => ask({ type: 'counts' }, 'counts'),
};

const kind = testDatabaseUrl() ? 'postgres' : 'pglite';
const fixture = await openSyncFixture(kind, {
  docQuotaBytes: 256 * 1024 * 1024,
  commitWindowMs: 2,
  clock,
});
const { db, access } = fixture;
console.log(
  `reminders benchmark: ${REMINDERS.toLocaleString('en')} reminders due in one minute over ${USERS.toLocaleString('en')} users, in-app + ${[...CHANNELS].join(' + ')}, ${kind}, ${os.cpus().length} CPUs, ${DELIVERY_THREADS} delivery threads`,
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
  const sub = await push.subscribe();
  await subscriptions.save(userId, {
    endpoint: sub.endpoint,
    p256dh: sub.keys.p256dh,
    auth: sub.keys.auth,
  });
}
console.log(`  seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

const delivery = createDelivery({
  threads: DELIVERY_THREADS,
  smtpUrl,
  smtpConnections: SMTP_CONNECTIONS,
  allowPrivateEndpoints: true,
  log: silentLogger,
});
const email = createEmailChannel({
  smtpUrl,
  from: 'Tasks <bench@localhost>',
  db,
  publicUrl: null,
  delivery,
});
const batchedSubscriptions = createBatchedPushSubscriptions(db, subscriptions);
// Where the send phase's time goes: the document reads and in-app writes (one `access.use` per
// user and batch, resolving once committed) and each channel's sends, summed over calls.
const spent = { documents: 0, documentCalls: 0, email: 0, push: 0 };
const timedAccess: typeof access = {
  ...access,
  async use(userId, months, fn, options) {
    const start = performance.now();
    try {
      return await access.use(userId, months, fn, options);
    } finally {
      spent.documents += performance.now() - start;
      spent.documentCalls += 1;
    }
  },
};
function timed<C extends ReminderChannel>(channel: C, key: 'email' | 'push'): C {
  return {
    ...channel,
    async send(message, settings) {
      const start = performance.now();
      try {
        await channel.send(message, settings);
      } finally {
        spent[key] += performance.now() - start;
      }
    },
  };
}
const scheduler = createReminderScheduler({
  db,
  access: timedAccess,
  changes: () => () => undefined,
  log: silentLogger,
  clock,
  runJobs: false,
  batch: BATCH,
  concurrency: CONCURRENCY,
  channels: [
    ...(CHANNELS.has('email') ? [timed(email, 'email')] : []),
    ...(CHANNELS.has('push')
      ? [
          timed(
            {
              ...createPushChannel({
                subscriptions: batchedSubscriptions,
                keys: webpush.generateVAPIDKeys(),
                subject: 'mailto:bench@localhost',
                allowPrivateEndpoints: true,
                log: silentLogger,
                actionTokens: createPushActionTokens({ secret: 'bench-'.repeat(8), db, clock }),
                delivery,
              }),
              prepare: (ids: readonly string[]) => batchedSubscriptions.prime(ids),
            },
            'push',
          ),
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
const mainBefore = readCpuSeconds(process.pid, process.pid) ?? 0;
const receiversBefore = readCpuSeconds(receivers.pid) ?? 0;
const postgresBefore = kind === 'postgres' ? readCommandCpuSeconds('postgres') : 0;
// How many were sent when the minute was over.
let sentInMinute: number | null = null;
const minuteMark = setTimeout(() => {
  void scheduler.jobs.count({ state: 'sent' }).then((n) => {
    sentInMinute = n;
  });
}, 60_000);
// The bound: stopping makes the running round end after its current batch.
const bound = setTimeout(() => void scheduler.stop(), SECONDS * 1000);
while (sent < planned && performance.now() - sendStart < SECONDS * 1000) {
  const round = await scheduler.runDue();
  sent += round;
  if (round === 0) await new Promise((resolve) => setTimeout(resolve, 50));
}
clearTimeout(bound);
clearTimeout(minuteMark);
const sendSeconds = (performance.now() - sendStart) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const mainSeconds = (readCpuSeconds(process.pid, process.pid) ?? 0) - mainBefore;
const receiversSeconds = (readCpuSeconds(receivers.pid) ?? 0) - receiversBefore;
const postgresSeconds =
  kind === 'postgres' ? readCommandCpuSeconds('postgres') - postgresBefore : 0;
const delivered = await push.counts();
const rate = sent / sendSeconds;
console.log(
  `  sent ${sent.toLocaleString('en')} of ${planned.toLocaleString('en')} in ${sendSeconds.toFixed(1)} s: ${Math.round(rate).toLocaleString('en')} reminders/s`,
);
console.log(
  `  sent within the minute (60 s): ${(sentInMinute ?? sent).toLocaleString('en')} of ${planned.toLocaleString('en')}`,
);
console.log(
  `  delivered: ${delivered.emails.toLocaleString('en')} emails, ${delivered.pushes.toLocaleString('en')} pushes decrypted, ${delivered.refused.length} refused${delivered.refused.length ? ` (${delivered.refused.join('; ')})` : ''}`,
);
console.log(
  `  time summed over concurrent calls: documents ${(spent.documents / 1000).toFixed(1)} s in ${spent.documentCalls.toLocaleString('en')} calls (${(spent.documents / Math.max(1, spent.documentCalls)).toFixed(0)} ms each), email ${(spent.email / 1000).toFixed(1)} s, push ${(spent.push / 1000).toFixed(1)} s`,
);
console.log(
  `  process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (${(((cpu.user + cpu.system) / 1e6 / sendSeconds) * 100).toFixed(0)}% of one core), RSS ${Math.round(process.memoryUsage().rss / 1e6)} MB`,
);
// CPU per reminder on each side, and the cores 100,000 in a minute would take at that cost.
const nodeSeconds = (cpu.user + cpu.system) / 1e6;
const perReminder = (seconds: number) => (sent > 0 ? (seconds / sent) * 1000 : 0);
const aimRate = 100_000 / 60;
console.log(
  `  CPU per reminder: node ${perReminder(nodeSeconds).toFixed(2)} ms (main thread ${perReminder(mainSeconds).toFixed(2)} ms, other threads ${perReminder(nodeSeconds - mainSeconds).toFixed(2)} ms), ${kind === 'postgres' ? `PostgreSQL ${perReminder(postgresSeconds).toFixed(2)} ms, ` : ''}receivers (SMTP + push service) ${perReminder(receiversSeconds).toFixed(2)} ms`,
);
console.log(
  `  at that cost ${aimRate.toFixed(0)}/s would take: the node's main thread ${((perReminder(mainSeconds) * aimRate) / 1000).toFixed(1)} cores, the node in all ${((perReminder(nodeSeconds) * aimRate) / 1000).toFixed(1)}${kind === 'postgres' ? `, PostgreSQL ${((perReminder(postgresSeconds) * aimRate) / 1000).toFixed(1)}` : ''}, the receivers ${((perReminder(receiversSeconds) * aimRate) / 1000).toFixed(1)} (this machine: ${os.cpus().length})`,
);
console.log(
  sent === planned && sendSeconds <= 60
    ? `  all ${planned.toLocaleString('en')} sent within the minute`
    : `  at this rate one node sends ${Math.round(rate * 60).toLocaleString('en')} reminders in a minute (aim 100,000)`,
);

const unsent = await db.query<{ state: string; last_error: string | null; n: number | string }>(
  `select state, last_error, count(*) as n from reminder_jobs where state <> 'sent'
   group by state, last_error order by n desc limit 5`,
);
for (const row of unsent) {
  console.log(`  not sent: ${row.n} ${row.state}${row.last_error ? ` (${row.last_error})` : ''}`);
}
email.close();
await delivery.close();
await fixture.dispose();
receivers.child.disconnect();
await stopProcess(receivers);
process.exit(0);
