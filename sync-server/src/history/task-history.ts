import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  deletedAtOf,
  diffVersions,
  listTags,
  NotFoundError,
  paginate,
  readTasks,
  recentlyDeleted,
  restoreVersion,
  type TaskVersionFields,
  taskToApi,
  versionFieldsOf,
  writersOf,
} from '@tasks/crdt';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { DocumentChange } from '../relay/relay.js';
import {
  errorResponses,
  IdParam,
  jsonResponse,
  notFoundResponse,
  pageOf,
  TaskSchema,
} from '../rest/api-schemas.js';
import type { DocumentAccess } from '../rest/document-access.js';
import type { TrackedTime } from '../rest/tracked-time.js';
import { validationHook } from '../rest/validation-hook.js';

/**
 * Records a version of each task whenever a change to its user's main document leaves it
 * different from its last recorded version (table `task_versions`), whoever wrote it: a device
 * through the relay, REST, the calendar bridge. Changes are coalesced per user (one recording
 * runs at a time, the next covers everything since), so a burst of keystrokes is one version.
 */
export interface TaskHistory {
  /** Resolves once every change seen so far is recorded. */
  flush(): Promise<void>;
  stop(): void;
}

interface UserState {
  /** Latest recorded fields per task, as JSON, and their version number. */
  latest: Map<string, { json: string; version: number }> | null;
  running: Promise<void>;
  again: boolean;
}

export function createTaskHistory(deps: {
  db: Database;
  access: DocumentAccess;
  changes: (listener: (change: DocumentChange) => void) => () => void;
  clock: () => Date;
  log: Logger;
}): TaskHistory {
  const users = new Map<string, UserState>();
  const pending = new Set<Promise<void>>();

  const loadLatest = async (userId: string) => {
    const rows = await deps.db.query<{ task_id: string; version: number; fields: unknown }>(
      `select distinct on (task_id) task_id, version, fields from task_versions
        where user_id = $1 order by task_id, version desc`,
      [userId],
    );
    return new Map(
      rows.map((row) => [
        row.task_id,
        {
          json: JSON.stringify(
            typeof row.fields === 'string' ? JSON.parse(row.fields) : row.fields,
          ),
          version: Number(row.version),
        },
      ]),
    );
  };

  const record = async (userId: string, state: UserState) => {
    state.latest ??= await loadLatest(userId);
    const latest = state.latest;
    const found = await deps.access.use(userId, [], (docs) => {
      const changed: { taskId: string; json: string; writers: number[]; server: number }[] = [];
      for (const task of readTasks(docs, { includeDeleted: true })) {
        const json = JSON.stringify(versionFieldsOf(task));
        if (latest.get(task.id)?.json === json) continue;
        changed.push({
          taskId: task.id,
          json,
          writers: writersOf(docs, task.id),
          server: docs.main.clientID,
        });
      }
      return changed;
    });
    if (found.length === 0) return;
    const now = deps.clock().toISOString();
    await deps.db.transaction(async (tx) => {
      for (const item of found) {
        const version = (latest.get(item.taskId)?.version ?? 0) + 1;
        const writers = item.writers.map((client) =>
          client === item.server ? 'server' : String(client),
        );
        await tx.query(
          `insert into task_versions (user_id, task_id, version, recorded_at, writers, fields)
           values ($1, $2, $3, $4::timestamptz, $5::jsonb, $6::jsonb)`,
          [userId, item.taskId, version, now, JSON.stringify(writers), item.json],
        );
      }
    });
    for (const item of found) {
      latest.set(item.taskId, {
        json: item.json,
        version: (latest.get(item.taskId)?.version ?? 0) + 1,
      });
    }
  };

  const schedule = (userId: string) => {
    let state = users.get(userId);
    if (!state) {
      state = { latest: null, running: Promise.resolve(), again: false };
      users.set(userId, state);
    }
    if (state.again) return; // a recording is queued already: it will see this change
    state.again = true;
    const current = state;
    const run = current.running.then(async () => {
      current.again = false;
      try {
        await record(userId, current);
      } catch (error) {
        current.latest = null; // read again from the table next time
        deps.log.warn('task history not recorded', { userId, error: (error as Error).message });
      }
    });
    current.running = run;
    pending.add(run);
    void run.finally(() => pending.delete(run));
  };

  const unsubscribe = deps.changes((change) => {
    // The main document only: tasks live there (months hold time entries).
    if (change.room === change.ownerId) schedule(change.ownerId);
  });

  return {
    async flush() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    stop: unsubscribe,
  };
}

const VersionParam = IdParam.extend({
  version: z.coerce
    .number({ error: 'must be a version number' })
    .int('must be a version number')
    .min(1, 'must be a version number')
    .openapi({ param: { name: 'version', in: 'path' } }),
});

const ChangeSchema = z.object({ field: z.string(), before: z.unknown(), after: z.unknown() });
const VersionSchema = z
  .object({
    version: z.number().int(),
    recorded_at: z.string(),
    devices: z.array(z.string()).openapi({
      description:
        'Who wrote the fields as they were: Yjs client ids of devices, or `server` (REST, calendar sync)',
    }),
    changes: z
      .array(ChangeSchema)
      .openapi({ description: 'Field by field, from the version before' }),
    fields: z.record(z.string(), z.unknown()),
  })
  .openapi('TaskVersion');

const DeletedQuery = z
  .object({
    page: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .default(1),
    limit: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(100, 'must be at most 100')
      .default(50),
  })
  .strict();

const DeletedTaskSchema = z
  .object({
    task_id: z.string(),
    title: z.string(),
    deleted_at: z.string().openapi({
      description:
        'When it went to the trash, or (removed without the trash) when its last version was recorded',
    }),
    version: z.number().int().openapi({ description: 'Its last version: restore this one' }),
    recorded_at: z.string(),
    devices: z.array(z.string()),
    fields: z.record(z.string(), z.unknown()),
  })
  .openapi('DeletedTask');

type VersionRow = {
  version: number;
  recorded_at: Date;
  writers: unknown;
  fields: unknown;
};

const parseJson = <T>(value: unknown) =>
  (typeof value === 'string' ? JSON.parse(value) : value) as T;

function versionOf(row: VersionRow) {
  return {
    version: Number(row.version),
    recordedAt: new Date(row.recorded_at).toISOString(),
    devices: parseJson<string[]>(row.writers),
    fields: parseJson<TaskVersionFields>(row.fields),
  };
}

/**
 * `GET /tasks/{id}/history`, `POST /tasks/{id}/history/{version}/restore` (a task gone from the
 * document too) and `GET /tasks/history/deleted` ("recently deleted" beyond the trash).
 */
export function createHistoryRoutes(deps: {
  db: Database;
  access: DocumentAccess;
  tracked: TrackedTime;
  history: TaskHistory;
  clock: () => Date;
}) {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  const versionsOf = async (userId: string, taskId: string) => {
    await deps.history.flush();
    const rows = await deps.db.query<VersionRow>(
      `select version, recorded_at, writers, fields from task_versions
        where user_id = $1 and task_id = $2 order by version`,
      [userId, taskId],
    );
    return rows.map(versionOf);
  };

  // Not a task's path: `/{id}/history` ends in `history`.
  app.openapi(
    createRoute({
      method: 'get',
      path: '/history/deleted',
      summary: 'Recently deleted tasks, beyond the trash',
      description:
        'Tasks the history knows that are no longer in the document at all (purged from the trash after 30 days, or removed by a device), most recently deleted first, each with its last version. `POST /tasks/{id}/history/{version}/restore` brings one back under its own id, out of the trash, as a new change.',
      tags: ['Tasks'],
      request: { query: DeletedQuery },
      responses: {
        200: jsonResponse(pageOf(DeletedTaskSchema, 'DeletedTaskPage'), 'A page of deleted tasks'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { page, limit } = c.req.valid('query');
      await deps.history.flush();
      const rows = await deps.db.query<VersionRow & { task_id: string }>(
        `select distinct on (task_id) task_id, version, recorded_at, writers, fields
           from task_versions where user_id = $1 order by task_id, version desc`,
        [userId],
      );
      const last = rows.map((row) => ({ taskId: row.task_id, ...versionOf(row) }));
      const gone = await deps.access.use(userId, [], (docs) => recentlyDeleted(docs, last));
      const found = paginate(gone, page, limit);
      const items = found.items.map((item) => ({
        task_id: item.taskId,
        title: item.fields.title,
        deleted_at: deletedAtOf(item),
        version: item.version,
        recorded_at: item.recordedAt,
        devices: item.devices,
        fields: item.fields,
      }));
      return c.json({ ...found, items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/history',
      summary: 'A task’s earlier versions',
      description:
        'Every version the server recorded (a change that left the task different), newest first, with the devices that wrote it, when, and what changed field by field.',
      tags: ['Tasks'],
      request: { params: IdParam },
      responses: {
        200: jsonResponse(
          z.object({ items: z.array(VersionSchema) }).openapi('TaskHistory'),
          'The versions',
        ),
        ...notFoundResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { id } = c.req.valid('param');
      const versions = await versionsOf(userId, id);
      if (versions.length === 0) throw new NotFoundError('task', id);
      const items = versions.map((version, index) => ({
        version: version.version,
        recorded_at: version.recordedAt,
        devices: version.devices,
        changes: diffVersions(versions[index - 1]?.fields ?? null, version.fields),
        fields: version.fields,
      }));
      return c.json({ items: items.reverse() }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/history/{version}/restore',
      summary: 'Restore an earlier version of a task',
      description:
        'A new change that makes the task what the version was (out of the trash too): it syncs to every device like any edit, and is itself a new version.',
      tags: ['Tasks'],
      request: { params: VersionParam },
      responses: {
        200: jsonResponse(TaskSchema, 'The task as restored'),
        ...notFoundResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { id, version } = c.req.valid('param');
      const found = (await versionsOf(userId, id)).find((item) => item.version === version);
      if (!found) throw new NotFoundError('task version', `${id}@${version}`);
      const minutes = await deps.tracked.minutesByTask(userId, deps.clock());
      const task = await deps.access.use(userId, [], (docs, ctx) => {
        const restored = restoreVersion(docs, id, found.fields, ctx);
        if (!restored) throw new NotFoundError('task', id);
        const tagNames = new Map(listTags(docs).map((tag) => [tag.key, tag.name]));
        return taskToApi(restored, { userId, tagNames, actualDuration: minutes.get(id) });
      });
      return c.json(task, 200);
    },
  );
  return app;
}
