import { type BlockCalendarCandidate, blockCalendarCandidate } from '@tasks/crdt';
import type { Database } from '../db/database.js';

/**
 * The user's calendar connections as candidates for the planned blocks' one calendar
 * (`blocksCalendarOf`), oldest first as the connections list shows them.
 */
export async function blockCalendarCandidates(
  db: Pick<Database, 'query'>,
  userId: string,
): Promise<BlockCalendarCandidate[]> {
  const rows = await db.query<{ id: string; sync_enabled: boolean; sync_status: string }>(
    `select id, sync_enabled, sync_status from calendar_connections
     where user_id = $1 order by created_at, id`,
    [userId],
  );
  return rows.map((row) =>
    blockCalendarCandidate({
      id: row.id,
      syncEnabled: row.sync_enabled,
      syncStatus: row.sync_status,
    }),
  );
}
