/**
 * A server process for the kill -9 test of reminders (`reminder-crash.test.ts`), run with
 * `node --import tsx`: the real server over the database the environment names, whose clock
 * starts at `CLOCK_AT` and runs on in real time. With `HANG_AFTER_CLAIM=1` it claims due
 * reminders, says so on stdout (`claimed <job id>`) and stops there, before sending anything,
 * for the test to kill it at exactly that point.
 */
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/open-database.js';
import { createLogger } from '../logger.js';
import { startServer } from '../server.js';

const config = loadConfig();
const base = Date.parse(process.env.CLOCK_AT ?? '');
if (Number.isNaN(base)) throw new Error('CLOCK_AT must be an ISO instant');
const startedAt = Date.now();
const clock = () => new Date(base + (Date.now() - startedAt));
const hang = process.env.HANG_AFTER_CLAIM === '1';
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
const server = await startServer({
  config,
  db,
  log: createLogger(config.logLevel),
  clock,
  reminderOptions: {
    pollIntervalMs: 50,
    planDelayMs: 10,
    ...(hang
      ? {
          afterClaim: async (job) => {
            process.stdout.write(`claimed ${job.id}\n`);
            await new Promise(() => undefined);
          },
        }
      : {}),
  },
});
process.stdout.write(`ready ${server.url}\n`);
process.on('SIGTERM', () => {
  void server
    .close()
    .then(() => db.close())
    .then(() => process.exit(0));
});
