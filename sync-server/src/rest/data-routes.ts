import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { readICalendarTasks, tasksToVtodoCalendar } from '@tasks/connectors';
import {
  type ExportedCalendarConnection,
  exportUserData,
  type ForeignTaskList,
  getTimezone,
  type ImportReport,
  importForeignTasks,
  importMonths,
  importUserData,
  listTasks,
  readTodoistCsv,
  timerMonths,
  userDataFile,
} from '@tasks/crdt';
import type { Database } from '../db/database.js';
import { bodyLimit } from '../http/body-limit.js';
import { errorBody, HttpError } from '../http/http-error.js';
import { ErrorSchema, errorResponses, jsonResponse } from './api-schemas.js';
import type { DocumentAccess } from './document-access.js';
import { useMonths } from './time-routes.js';
import { validationHook } from './validation-hook.js';

/** The largest file an import takes (a user with years of time entries exports a few MiB). */
export const IMPORT_MAX_BYTES = 64 * 1024 * 1024;

export const IMPORT_FORMATS = ['json', 'todoist', 'ics'] as const;
type ImportFormat = (typeof IMPORT_FORMATS)[number];

const ExportQuery = z
  .object({
    format: z
      .enum(['json', 'ics'], { error: 'must be json or ics' })
      .default('json')
      .openapi({ description: '`json`: everything, versioned; `ics`: every task as a VTODO' }),
  })
  .strict();

const ImportQuery = z
  .object({
    format: z
      .enum(IMPORT_FORMATS, { error: `must be one of ${IMPORT_FORMATS.join(', ')}` })
      .optional()
      .openapi({
        description:
          'Default: from the Content-Type (`application/json`: our export; `text/csv`: Todoist; `text/calendar`: iCalendar)',
      }),
    source: z.string().trim().min(1).max(200).optional().openapi({
      description:
        'The file’s name (a Todoist CSV has its project’s): the same file from the same source imports nothing twice',
    }),
  })
  .strict();

const SkipSchema = z.object({
  kind: z.enum(['settings', 'project', 'tag', 'task', 'time_entry']),
  ref: z.string().openapi({ description: 'The record’s id, name or line' }),
  reason: z.string(),
});
const ImportReportSchema = z
  .object({
    imported: z.object({
      settings: z.number().int(),
      projects: z.number().int(),
      tags: z.number().int(),
      tasks: z.number().int(),
      time_entries: z.number().int(),
    }),
    skipped: z.array(SkipSchema),
    warnings: z.array(SkipSchema),
    moved_occurrences: z
      .array(
        z.object({
          ref: z
            .string()
            .openapi({ description: 'The occurrence: its UID, original start, title' }),
          task_id: z.string().openapi({ description: 'The task it became' }),
          series_id: z
            .string()
            .nullable()
            .openapi({ description: 'The series’ task, which skips it (null: not imported)' }),
          occurrence: z
            .string()
            .openapi({ description: 'The occurrence the series skips, as in its exceptions' }),
        }),
      )
      .openapi({
        description:
          'Occurrences of a series the file moved (iCalendar RECURRENCE-ID): each is a task of its own, dated where the file put it, and its series skips the original date',
      }),
  })
  .openapi('ImportReport');

function reportToApi(report: ImportReport) {
  const skip = ({ kind, ref, reason }: ImportReport['skipped'][number]) => ({
    kind: kind === 'timeEntry' ? ('time_entry' as const) : kind,
    ref,
    reason,
  });
  return {
    imported: {
      settings: report.imported.settings,
      projects: report.imported.project,
      tags: report.imported.tag,
      tasks: report.imported.task,
      time_entries: report.imported.timeEntry,
    },
    skipped: report.skipped.map(skip),
    warnings: report.warnings.map(skip),
    moved_occurrences: report.moved.map(({ ref, taskId, seriesId, occurrence }) => ({
      ref,
      task_id: taskId,
      series_id: seriesId,
      occurrence,
    })),
  };
}

function formatOf(contentType: string | undefined): ImportFormat | null {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'text/csv') return 'todoist';
  if (type === 'text/calendar') return 'ics';
  return null;
}

/** The user's calendar connections as an export names them: which calendar, never a secret. */
async function calendarConnectionsOf(
  db: Database,
  userId: string,
): Promise<ExportedCalendarConnection[]> {
  const rows = await db.query<{
    provider: string;
    provider_account_id: string | null;
    username: string | null;
    calendar_id: string;
    server_url: string | null;
    sync_status: string;
    created_at: Date;
  }>(
    `select provider, provider_account_id, username, calendar_id, server_url, sync_status, created_at
       from calendar_connections where user_id = $1 order by created_at, id`,
    [userId],
  );
  return rows.map((row) => ({
    provider: row.provider,
    account: row.provider_account_id ?? row.username,
    calendarId: row.calendar_id,
    serverUrl: row.server_url,
    syncStatus: row.sync_status,
    createdAt: new Date(row.created_at).toISOString(),
  }));
}

/**
 * "Own your data" (issue 17): the export of everything (our versioned JSON, or the tasks as
 * iCalendar) and the import of our JSON, a Todoist CSV or an iCalendar file, with a report.
 */
export function createDataRoutes(deps: {
  access: DocumentAccess;
  db: Database;
  clock: () => Date;
}) {
  const app = new OpenAPIHono({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/export',
      summary: 'Export everything',
      description:
        'Our versioned JSON (`format` `tasks-platform-export`, `version` 1, the documents’ camelCase fields): tasks with descriptions, recurrence and skipped occurrences, trash included; projects, tags, every time entry, settings, and calendar connections without their secrets. `?format=ics`: the tasks (not in the trash) as iCalendar VTODOs with RRULE and EXDATE.',
      tags: ['Your data'],
      request: { query: ExportQuery },
      responses: {
        200: {
          description: 'The file (Content-Disposition: attachment)',
          content: {
            'application/json': { schema: z.object({}).passthrough().openapi('UserDataExport') },
            'text/calendar': { schema: z.string() },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { format } = c.req.valid('query');
      const now = deps.clock();
      const day = now.toISOString().slice(0, 10);
      if (format === 'ics') {
        const text = await deps.access.use(userId, [], (docs) =>
          tasksToVtodoCalendar(listTasks(docs), {
            timezone: getTimezone(docs),
            now,
            name: 'Tasks',
          }),
        );
        c.header('Content-Disposition', `attachment; filename="tasks-${day}.ics"`);
        return c.body(text, 200, { 'Content-Type': 'text/calendar; charset=utf-8' });
      }
      const calendarConnections = await calendarConnectionsOf(deps.db, userId);
      const data = await useMonths(
        deps.access,
        userId,
        { needs: (docs) => ({ months: timerMonths(docs), everyMonth: true }) },
        (docs, ctx) => exportUserData(docs, { now: ctx.now(), calendarConnections }),
      );
      c.header('Content-Disposition', `attachment; filename="tasks-export-${day}.json"`);
      return c.json(data, 200);
    },
  );

  app.post(
    '/import',
    bodyLimit({
      maxSize: IMPORT_MAX_BYTES,
      onError: (c) =>
        c.json(
          errorBody(
            'payload_too_large',
            `An import file may be at most ${IMPORT_MAX_BYTES / 1024 / 1024} MiB.`,
          ),
          413,
        ),
    }),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/import',
      summary: 'Import a file',
      description:
        'Our JSON export (into any account, empty or not), a Todoist CSV (export or import template) or an iCalendar file (VTODO and VEVENT become tasks). Idempotent: records keep their ids (ours) or get ids derived from the source and the record (others), so importing the same file twice creates nothing twice. Records the rules refuse are skipped with the reason; the others import.',
      tags: ['Your data'],
      request: {
        query: ImportQuery,
        body: {
          required: true,
          description: 'The file, as it is',
          content: {
            'application/json': { schema: z.object({}).passthrough() },
            'text/csv': { schema: z.string() },
            'text/calendar': { schema: z.string() },
          },
        },
      },
      responses: {
        200: jsonResponse(ImportReportSchema, 'What was imported, skipped and why'),
        413: jsonResponse(ErrorSchema, 'The file is too large'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const query = c.req.valid('query');
      const format = query.format ?? formatOf(c.req.header('content-type'));
      if (!format) {
        throw new HttpError(
          415,
          'unsupported_media_type',
          'Send application/json (our export), text/csv (Todoist) or text/calendar, or say ?format=.',
        );
      }
      const text = await c.req.text();
      const source = query.source ?? format;
      if (format === 'json') {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          throw new HttpError(400, 'invalid_json', 'The file is not valid JSON.');
        }
        const parsed = userDataFile.safeParse(json);
        if (!parsed.success) validationHook(parsed);
        const file = parsed.data as NonNullable<typeof parsed.data>;
        const months = importMonths(file);
        const report = await useMonths(
          deps.access,
          userId,
          {
            first: months,
            needs: (docs) => ({ months: [...months, ...timerMonths(docs)], everyMonth: true }),
          },
          (docs, ctx) => importUserData(docs, file, ctx),
        );
        return c.json(reportToApi(report), 200);
      }
      const report = await deps.access.use(userId, [], (docs, ctx) => {
        const timezone = getTimezone(docs);
        const list: ForeignTaskList =
          format === 'todoist'
            ? readTodoistCsv(text, { source, timezone })
            : readICalendarTasks(text, { source, timezone });
        return importForeignTasks(docs, list, ctx);
      });
      return c.json(reportToApi(report), 200);
    },
  );

  return app;
}
