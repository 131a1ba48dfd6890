import { removeCalendarEventsOf } from './calendar-events.js';
import type { DocContext } from './context.js';
import { getSettings, updateSettings } from './settings.js';
import { getTask, updateTask } from './tasks.js';
import type { UserDocs } from './user-docs.js';

/** A task and the event that shows it in one connected calendar. */
export interface TaskEventLink {
  taskId: string;
  eventId: string;
}

/**
 * What a disconnected calendar leaves behind in the documents, taken away: its mirrored events,
 * its event ids on the tasks it showed (only where a task still names that event), and the
 * choice of it for planned blocks (they go to the first calendar left). The events stay in the
 * provider's calendar. Safe to run twice: the calendar bridge runs it when the user disconnects
 * and again when a sync that was running at that moment finishes.
 */
export function forgetCalendarConnection(
  docs: UserDocs,
  connectionId: string,
  links: readonly TaskEventLink[],
  ctx: DocContext,
): void {
  docs.main.transact(() => {
    removeCalendarEventsOf(docs, connectionId);
    for (const link of links) {
      const task = getTask(docs, link.taskId);
      // A task in the trash cannot be written; it shows no calendar while it is there.
      if (task && !task.deletedAt && task.calendarEventId === link.eventId) {
        updateTask(docs, link.taskId, { calendarEventId: null }, ctx);
      }
    }
    if (getSettings(docs).scheduling.blocksCalendarConnectionId === connectionId) {
      updateSettings(docs, { scheduling: { blocksCalendarConnectionId: null } });
    }
  });
}
