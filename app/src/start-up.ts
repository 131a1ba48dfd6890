import {
  type DocContext,
  getSettings,
  isTimezoneChosen,
  purgeExpiredTasks,
  seedAccountTimezone,
  warmPlanner,
} from '@tasks/crdt';
import type { Replica } from './replica/replica.js';
import { fetchAccountTimezone } from './session/account-time-zone.js';
import type { Session } from './session/session.js';

/**
 * What the app does each time it starts, once this device's copy of the documents has loaded:
 * it empties the trash of tasks deleted more than 30 days ago (as the server does, so a device
 * that stays offline keeps its promise too), and, while no time zone was chosen in the document,
 * takes the account's (given at registration) rather than UTC. At the next idle moment it warms
 * the planner on a sample of its own, so that the first "Plan my week" does not also pay for
 * compiling it (about half of a cold plan of 500 tasks; `bench:schedule`).
 */
export async function startUp(replica: Replica, session: Session, ctx: DocContext): Promise<void> {
  await replica.ready();
  purgeExpiredTasks(replica.docs, ctx);
  whenIdle(() => warmPlanner({ now: ctx.now(), timezone: getSettings(replica.docs).timezone }));
  if (isTimezoneChosen(replica.docs)) return;
  const zone = await fetchAccountTimezone(session);
  if (zone !== null) seedAccountTimezone(replica.docs, zone);
}

/** Runs `task` once when the browser is idle (within ten seconds), off the first render. */
function whenIdle(task: () => void): void {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(task, { timeout: 10_000 });
  else setTimeout(task, 1_000);
}
