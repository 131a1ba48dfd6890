/**
 * The planner benchmark's user (issue 15): 500 open tasks with estimates (15 min to 4 h),
 * deadlines and priorities, and 200 mirrored calendar events (15 min to 1 h, between 06:00 and
 * 22:00) of which a third recur (weekly, a fifth of them every weekday, in the user's zone), over
 * a two-week plan in Europe/Berlin: far more work than free time, as a long backlog has. Built through the real crdt operations
 * and seeded, so every run (Node, Chromium) plans the same document.
 */
import {
  createManualContext,
  createTask,
  type Priority,
  UserDocs,
  updateSettings,
  upsertCalendarEvent,
} from '../src/index.js';

export const WORKLOAD_NOW = new Date('2026-03-23T06:30:00Z');
const DAY = 86_400_000;
const PRIORITIES: Priority[] = ['LOW', 'MEDIUM', 'HIGH', 'URGENT'];

/** mulberry32: a small seeded generator. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function buildScheduleWorkload(options: { tasks?: number; events?: number } = {}) {
  const taskCount = options.tasks ?? 500;
  const eventCount = options.events ?? 200;
  const random = seeded(15);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const ctx = createManualContext(WORKLOAD_NOW);
  const docs = new UserDocs('bench-user');
  updateSettings(docs, {
    timezone: 'Europe/Berlin',
    workingHours: { sat: [], sun: [], fri: [{ start: '09:00', end: '15:00' }] },
  });
  for (let i = 0; i < taskCount; i += 1) {
    const dueDay = new Date(WORKLOAD_NOW.getTime() + Math.floor(random() * 20) * DAY);
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
  for (let i = 0; i < eventCount; i += 1) {
    const recurring = i % 3 === 0;
    const day = Math.floor(random() * (recurring ? 7 : 14));
    const hour = 6 + Math.floor(random() * 16);
    const start = WORKLOAD_NOW.getTime() - 6.5 * 3600_000 + day * DAY + hour * 3600_000;
    const minutes = pick([15, 30, 30, 45, 60]);
    upsertCalendarEvent(docs, {
      connectionId: 'bench',
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
            timeZone: 'Europe/Berlin',
            exceptions: [],
            overrides: [],
          }
        : null,
    });
  }
  return { docs, ctx };
}
