import { upsertCalendarEvent } from '../calendar-events.js';
import { createManualContext } from '../context.js';
import type { Priority } from '../schema.js';
import { seededRandom } from '../seeded-random.js';
import { updateSettings } from '../settings.js';
import { createTask } from '../tasks.js';
import { UserDocs } from '../user-docs.js';
import { planSchedule } from './schedule-docs.js';

const DAY = 86_400_000;
const PRIORITIES: Priority[] = ['LOW', 'MEDIUM', 'HIGH', 'URGENT'];

export interface PlannerSampleOptions {
  now: Date;
  timezone: string;
  tasks: number;
  events: number;
}

/**
 * A user of its own (never the signed-in one) with open tasks with estimates (15 min to 4 h),
 * deadlines and priorities, and mirrored calendar events (15 min to 1 h, 06:00 to 22:00 UTC
 * less the zone's difference) of which a third recur (weekly, a fifth of them every weekday):
 * the planner benchmark's document, and the warm-up's. Built through the real operations,
 * seeded: the same options give the same document.
 */
export function buildPlannerSample({ now, timezone, tasks, events }: PlannerSampleOptions) {
  const random = seededRandom(15);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const ctx = createManualContext(now);
  const docs = new UserDocs('planner-sample');
  updateSettings(docs, {
    timezone,
    workingHours: { sat: [], sun: [], fri: [{ start: '09:00', end: '15:00' }] },
  });
  for (let i = 0; i < tasks; i += 1) {
    const dueDay = new Date(now.getTime() + Math.floor(random() * 20) * DAY);
    const due =
      random() < 0.3
        ? null
        : random() < 0.5
          ? dueDay.toISOString().slice(0, 10)
          : `${dueDay.toISOString().slice(0, 10)}T${pick(['12:00', '15:00', '17:00'])}`;
    createTask(
      docs,
      {
        title: `Task ${i}`,
        estimatedDuration: pick([15, 30, 45, 60, 90, 120, 180, 240]),
        priority: pick(PRIORITIES),
        ...(due ? { dueDate: due } : {}),
      },
      ctx,
    );
    ctx.advance(1000);
  }
  const midnight = Math.floor(now.getTime() / DAY) * DAY;
  for (let i = 0; i < events; i += 1) {
    const recurring = i % 3 === 0;
    const day = Math.floor(random() * (recurring ? 7 : 14));
    const hour = 6 + Math.floor(random() * 16);
    const start = midnight + day * DAY + hour * 3600_000;
    const minutes = pick([15, 30, 30, 45, 60]);
    upsertCalendarEvent(docs, {
      connectionId: 'sample',
      eventId: `event-${i}`,
      title: `Meeting ${i}`,
      start: new Date(start).toISOString(),
      end: new Date(start + minutes * 60_000).toISOString(),
      allDay: false,
      source: 'ICAL',
      taskId: null,
      series: recurring
        ? {
            rule: random() < 0.2 ? 'FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR' : 'FREQ=WEEKLY',
            timeZone: timezone,
            exceptions: [],
            overrides: [],
          }
        : null,
    });
  }
  return { docs, ctx };
}

/**
 * Plans a small sample user's week once and throws the plan away, so that the first plan the
 * user asks for does not also pay for compiling the planner and its readers, and for reading
 * the zone's offsets (measured by `bench:schedule`: most of a cold plan). Writes nothing the
 * user owns; meant for an idle moment after start-up.
 */
export function warmPlanner(options: { now: Date; timezone: string }): void {
  const { docs, ctx } = buildPlannerSample({ ...options, tasks: 40, events: 20 });
  planSchedule(docs, ctx);
  docs.destroy();
}
