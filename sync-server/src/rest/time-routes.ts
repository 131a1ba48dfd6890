import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  addManualEntry,
  type DocContext,
  deleteTimeEntry,
  type EntryPatch,
  entryFields,
  entryMonthHints,
  findEntryMonth,
  fromApiKeys,
  getTimeEntry,
  getTimezone,
  listProjects,
  listTimeEntries,
  type ManualEntryInput,
  monthKeyOf,
  monthsForRange,
  NotFoundError,
  readTasks,
  resolveEntryRange,
  startTimer,
  stopTimer,
  type TimerStartInput,
  timeEntryToApi,
  timerMonths,
  timeSheetCsv,
  totalDurationSeconds,
  type UserDocs,
  updateTimeEntry,
} from '@tasks/crdt';
import {
  ErrorSchema,
  errorResponses,
  IdParam,
  inApiTerms,
  jsonBody,
  jsonResponse,
  notFoundResponse,
  snakeObject,
} from './api-schemas.js';
import type { DocumentAccess } from './document-access.js';
import { TimeEntryListSchema, TimeEntrySchema } from './time-schemas.js';
import type { TrackedTime } from './tracked-time.js';
import { validationHook } from './validation-hook.js';

const TimerStartBody = snakeObject('timeEntry', {
  taskId: entryFields.taskId,
  description: entryFields.description,
})
  .partial()
  .strict()
  .openapi('TimerStart');
const ManualEntryBody = snakeObject('timeEntry', entryFields)
  .partial({ task_id: true, description: true })
  .strict()
  .openapi('ManualTimeEntry');
const EntryPatchBody = snakeObject('timeEntry', entryFields)
  .partial()
  .strict()
  .openapi('TimeEntryPatch');

const ListQuery = z
  .object({
    start_date: z.string().max(64).optional().openapi({
      description:
        'A local date (from its midnight, in the user’s time zone) or a datetime with offset. Default: 29 days before end_date.',
    }),
    end_date: z.string().max(64).optional().openapi({
      description:
        'A local date (through its end) or a datetime with offset (excluded). Default: today.',
    }),
    task_id: z.string().min(1).max(100).optional(),
    format: z.enum(['json', 'csv'], { error: 'must be json or csv' }).optional().openapi({
      description:
        '`csv`: a time sheet, one line per entry with the local date, start and end in the user’s time zone, minutes, task, project and tags',
    }),
  })
  .strict();

/** Month documents a request needs; `everyMonth` asks for all the user has. */
export interface MonthNeeds {
  months: readonly string[];
  everyMonth?: boolean;
}

type Attempt<R> =
  | { done: true; value: R }
  | { done: false; missing: readonly string[]; everyMonth: boolean };

/**
 * Runs `fn` on the user's documents once every month document `needs` names is loaded. `needs`
 * looks only at what is loaded (at first the main document and `first`) and runs in the same
 * synchronous call as `fn`, so nothing changes between the check and the work; while something
 * is missing, `fn` does not run, the months are loaded and both run again. Each run sees one
 * instant: a timer started and rendered in one request reads 0 seconds.
 */
export async function useMonths<R>(
  access: DocumentAccess,
  userId: string,
  plan: { first?: readonly string[]; needs: (docs: UserDocs, ctx: DocContext) => MonthNeeds },
  fn: (docs: UserDocs, ctx: DocContext) => R,
): Promise<R> {
  const months = new Set(plan.first ?? []);
  let hasEveryMonth = false;
  // Each round loads what the last one found missing; the needs settle within a few rounds
  // unless other devices keep starting timers in new months.
  for (let round = 0; round < 5; round += 1) {
    const attempt = await access.use(userId, [...months], (docs, base): Attempt<R> => {
      const at = base.now();
      const ctx: DocContext = { now: () => new Date(at.getTime()), newId: () => base.newId() };
      const needs = plan.needs(docs, ctx);
      const missing = needs.months.filter((month) => !docs.hasMonth(month));
      const everyMonth = needs.everyMonth === true && !hasEveryMonth;
      if (missing.length > 0 || everyMonth) return { done: false, missing, everyMonth };
      return { done: true, value: fn(docs, ctx) };
    });
    if (attempt.done) return attempt.value;
    for (const month of attempt.missing) months.add(month);
    if (attempt.everyMonth) {
      for (const month of await access.listMonths(userId)) months.add(month);
      hasEveryMonth = true;
    }
  }
  throw new Error(`the month documents of user ${userId} kept changing while loading them`);
}

/**
 * Where entry `id` is: the months its id suggests first, then every month the user has (an entry
 * moved by an edit can be anywhere); with the months of the timer records, which reading an
 * entry, and starting or stopping a timer, need.
 */
function entryPlan(id: string, also: readonly string[] = []) {
  const hints = entryMonthHints(id);
  return {
    first: [...hints, ...also],
    needs: (docs: UserDocs): MonthNeeds => {
      const months = [...hints, ...timerMonths(docs), ...also];
      if (months.some((month) => !docs.hasMonth(month))) return { months };
      return { months, everyMonth: findEntryMonth(docs, id) === null };
    },
  };
}

export function createTimeRoutes(deps: {
  access: DocumentAccess;
  tracked: TrackedTime;
  clock: () => Date;
}) {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  const entryResponse = (description: string) => jsonResponse(TimeEntrySchema, description);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/start',
      summary: 'Start a timer',
      description: 'A timer already running is stopped now: one timer runs at a time.',
      tags: ['Time tracking'],
      request: { body: jsonBody(TimerStartBody, 'The task and a description, both optional') },
      responses: { 201: entryResponse('The running entry'), ...errorResponses },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const input = fromApiKeys('timeEntry', c.req.valid('json')) as TimerStartInput;
      const entry = await useMonths(
        deps.access,
        userId,
        {
          first: [monthKeyOf(deps.clock())],
          needs: (docs, ctx) => ({ months: [monthKeyOf(ctx.now()), ...timerMonths(docs)] }),
        },
        (docs, ctx) =>
          timeEntryToApi(
            inApiTerms('timeEntry', () => startTimer(docs, input, ctx)),
            ctx.now(),
          ),
      );
      return c.json(entry, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/stop/{id}',
      summary: 'Stop the running timer',
      tags: ['Time tracking'],
      request: { params: IdParam },
      responses: {
        200: entryResponse('The stopped entry'),
        ...notFoundResponse,
        409: jsonResponse(ErrorSchema, 'The entry is not the running timer'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { id } = c.req.valid('param');
      const entry = await useMonths(deps.access, userId, entryPlan(id), (docs, ctx) =>
        timeEntryToApi(stopTimer(docs, id, ctx), ctx.now()),
      );
      return c.json(entry, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/entries',
      summary: 'List time entries',
      description:
        'Entries overlapping the range, by start; the last 30 days when no range is given. `total_duration` sums their durations, a running timer counted up to now.',
      tags: ['Time tracking'],
      request: { query: ListQuery },
      responses: {
        200: {
          description: 'The entries and their totals (or, `format=csv`, the time sheet)',
          content: {
            'application/json': { schema: TimeEntryListSchema },
            'text/csv': { schema: z.string() },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const query = c.req.valid('query');
      const rangeOf = (docs: UserDocs, ctx: DocContext) =>
        inApiTerms('timeEntry', () =>
          resolveEntryRange(
            { startDate: query.start_date, endDate: query.end_date },
            getTimezone(docs),
            ctx.now(),
          ),
        );
      const list = await useMonths(
        deps.access,
        userId,
        {
          needs: (docs, ctx) => {
            const { from, to } = rangeOf(docs, ctx);
            return { months: monthsForRange(from, to) };
          },
        },
        (docs, ctx) => {
          const now = ctx.now();
          const entries = listTimeEntries(docs, { ...rangeOf(docs, ctx), taskId: query.task_id });
          if (query.format === 'csv') {
            return timeSheetCsv(entries, {
              timezone: getTimezone(docs),
              now,
              tasks: new Map(readTasks(docs, { includeDeleted: true }).map((t) => [t.id, t])),
              projects: new Map(listProjects(docs).map((p) => [p.id, p])),
            });
          }
          return {
            entries: entries.map((entry) => timeEntryToApi(entry, now)),
            total_duration: totalDurationSeconds(entries, now),
            total_entries: entries.length,
          };
        },
      );
      if (typeof list === 'string') {
        c.header('Content-Disposition', 'attachment; filename="time-entries.csv"');
        return c.body(list, 200, { 'Content-Type': 'text/csv; charset=utf-8' });
      }
      return c.json(list, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/entries',
      summary: 'Add a finished entry by hand',
      tags: ['Time tracking'],
      request: { body: jsonBody(ManualEntryBody, 'The entry') },
      responses: { 201: entryResponse('The entry, marked manual'), ...errorResponses },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const body = c.req.valid('json');
      const input = fromApiKeys('timeEntry', body) as ManualEntryInput;
      const months = [monthKeyOf(input.start)];
      const entry = await useMonths(
        deps.access,
        userId,
        { first: months, needs: () => ({ months }) },
        (docs, ctx) =>
          timeEntryToApi(
            inApiTerms('timeEntry', () => addManualEntry(docs, input, ctx)),
            ctx.now(),
          ),
      );
      return c.json(entry, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/entries/{id}',
      summary: 'Get a time entry',
      tags: ['Time tracking'],
      request: { params: IdParam },
      responses: { 200: entryResponse('The entry'), ...notFoundResponse, ...errorResponses },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { id } = c.req.valid('param');
      const entry = await useMonths(deps.access, userId, entryPlan(id), (docs, ctx) => {
        const found = getTimeEntry(docs, id);
        if (!found) throw new NotFoundError('time entry', id);
        return timeEntryToApi(found, ctx.now());
      });
      return c.json(entry, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/entries/{id}',
      summary: 'Update a time entry (partial)',
      description:
        'A new start in another month moves the entry there. The end of a running timer cannot be set: stop it.',
      tags: ['Time tracking'],
      request: { params: IdParam, body: jsonBody(EntryPatchBody, 'The fields to change') },
      responses: {
        200: entryResponse('The updated entry'),
        ...notFoundResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { id } = c.req.valid('param');
      const patch = fromApiKeys('timeEntry', c.req.valid('json')) as EntryPatch;
      // A new start in another month moves the entry into that month's document.
      const newMonth = patch.start === undefined ? [] : [monthKeyOf(patch.start)];
      const entry = await useMonths(deps.access, userId, entryPlan(id, newMonth), (docs, ctx) =>
        timeEntryToApi(
          inApiTerms('timeEntry', () => updateTimeEntry(docs, id, patch, ctx)),
          ctx.now(),
        ),
      );
      return c.json(entry, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/entries/{id}',
      summary: 'Delete a time entry',
      tags: ['Time tracking'],
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' }, ...notFoundResponse, ...errorResponses },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { id } = c.req.valid('param');
      await useMonths(deps.access, userId, entryPlan(id), (docs) => deleteTimeEntry(docs, id));
      return c.body(null, 204);
    },
  );

  return app;
}
