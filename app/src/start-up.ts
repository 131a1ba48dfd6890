import {
  type DocContext,
  isTimezoneChosen,
  purgeExpiredTasks,
  seedAccountTimezone,
} from '@tasks/crdt';
import type { Replica } from './replica/replica.js';
import { fetchAccountTimezone } from './session/account-time-zone.js';
import type { Session } from './session/session.js';

/**
 * What the app does each time it starts, once this device's copy of the documents has loaded:
 * it empties the trash of tasks deleted more than 30 days ago (as the server does, so a device
 * that stays offline keeps its promise too), and, while no time zone was chosen in the document,
 * takes the account's (given at registration) rather than UTC.
 */
export async function startUp(replica: Replica, session: Session, ctx: DocContext): Promise<void> {
  await replica.ready();
  purgeExpiredTasks(replica.docs, ctx);
  if (isTimezoneChosen(replica.docs)) return;
  const zone = await fetchAccountTimezone(session);
  if (zone !== null) seedAccountTimezone(replica.docs, zone);
}
