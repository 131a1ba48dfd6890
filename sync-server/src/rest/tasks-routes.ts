import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  type ApiTask,
  createTask,
  deleteTask,
  fromApiKeys,
  getTask,
  getTimezone,
  listTags,
  NotFoundError,
  PRIORITIES,
  paginate,
  parseTaskSort,
  queryTasks,
  TASK_SORT_FIELDS,
  TASK_STATUSES,
  type Task,
  type TaskPatch,
  taskFields,
  taskToApi,
  type UserDocs,
  updateTask,
} from '@tasks/crdt';
import {
  errorResponses,
  IdParam,
  inApiTerms,
  jsonBody,
  jsonResponse,
  notFoundResponse,
  pageOf,
  ReminderSchema,
  snakeObject,
  TaskSchema,
} from './api-schemas.js';
import type { DocumentAccess } from './document-access.js';
import type { TrackedTime } from './tracked-time.js';
import { validationHook } from './validation-hook.js';

const TaskCreateBody = snakeObject('task', taskFields)
  .partial()
  .required({ title: true })
  .extend({
    actual_duration: z
      .number()
      .optional()
      .openapi({ description: 'Ignored: calculated from time entries' }),
    reminders: z.array(ReminderSchema).optional(),
  })
  .strict()
  .openapi('TaskCreate');
const TaskPatchBody = snakeObject('task', taskFields)
  .partial()
  .extend({
    actual_duration: z
      .number()
      .optional()
      .openapi({ description: 'Ignored: calculated from time entries' }),
    reminders: z.array(ReminderSchema).optional(),
  })
  .strict()
  .openapi('TaskPatch');

const commaList = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((text) => text.split(',').map((part) => part.trim().toUpperCase()))
    .pipe(z.array(z.enum(values, { error: `must be one or more of ${values.join(', ')}` })));

const instant = z
  .string()
  .refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO-8601 date or datetime');

const ListQuery = z
  .object({
    status: commaList(TASK_STATUSES).optional(),
    priority: commaList(PRIORITIES).optional(),
    project_id: z.string().min(1).optional(),
    parent_task_id: z.string().min(1).optional(),
    tag: z.string().min(1).max(50).optional(),
    due_before: instant.optional(),
    due_after: instant.optional(),
    q: z.string().max(200).optional(),
    sort: z
      .string()
      .refine(
        (value) => parseTaskSort(value) !== null,
        `must be one of ${TASK_SORT_FIELDS.join(', ')}, optionally prefixed with -`,
      )
      .optional(),
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
      .default(20),
  })
  .strict();

function toPatch(body: Record<string, unknown>): TaskPatch {
  const { actual_duration: _calculated, ...fields } = body;
  return fromApiKeys('task', fields) as TaskPatch;
}

export function createTaskRoutes(deps: {
  access: DocumentAccess;
  tracked: TrackedTime;
  clock: () => Date;
}) {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  const render = async (userId: string, docs: UserDocs, tasks: Task[]) => {
    const tagNames = new Map(listTags(docs).map((tag) => [tag.key, tag.name]));
    const minutes = await deps.tracked.minutesByTask(userId, deps.clock());
    return tasks.map((task) =>
      taskToApi(task, { userId, tagNames, actualDuration: minutes.get(task.id) }),
    );
  };
  const one = async (userId: string, task: Task): Promise<ApiTask> => {
    const [rendered] = await deps.access.use(userId, [], (docs) => render(userId, docs, [task]));
    if (!rendered) throw new NotFoundError('task', task.id);
    return rendered;
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      summary: 'Create a task',
      tags: ['Tasks'],
      request: { body: jsonBody(TaskCreateBody, 'The task') },
      responses: { 201: jsonResponse(TaskSchema, 'The created task'), ...errorResponses },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const body = c.req.valid('json');
      const task = await deps.access.use(userId, [], (docs, ctx) =>
        inApiTerms('task', () =>
          createTask(docs, toPatch(body) as Parameters<typeof createTask>[1], ctx),
        ),
      );
      return c.json(await one(userId, task), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary: 'List tasks',
      description:
        'Filters combine with AND; `status` and `priority` take comma-separated lists; `q` matches words in the title or description; `sort` is a field, `-` for descending (default: manual order).',
      tags: ['Tasks'],
      request: { query: ListQuery },
      responses: {
        200: jsonResponse(pageOf(TaskSchema, 'TaskPage'), 'A page of tasks'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const query = c.req.valid('query');
      const result = await deps.access.use(userId, [], (docs) => {
        const timezone = getTimezone(docs);
        const filter = {
          ...(query.status ? { status: query.status } : {}),
          ...(query.priority ? { priority: query.priority } : {}),
          ...(query.project_id ? { projectId: query.project_id } : {}),
          ...(query.parent_task_id ? { parentId: query.parent_task_id } : {}),
          ...(query.tag ? { tag: query.tag } : {}),
          ...(query.due_before ? { dueBefore: query.due_before } : {}),
          ...(query.due_after ? { dueAfter: query.due_after } : {}),
          ...(query.q ? { q: query.q } : {}),
          timezone,
        };
        const sort = parseTaskSort(query.sort ?? 'order') ?? {
          field: 'order' as const,
          descending: false,
        };
        const page = paginate(queryTasks(docs, filter, sort), query.page, query.limit);
        return { page, docs };
      });
      const items = await render(userId, result.docs, result.page.items);
      return c.json({ ...result.page, items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      summary: 'Get a task',
      tags: ['Tasks'],
      request: { params: IdParam },
      responses: {
        200: jsonResponse(TaskSchema, 'The task'),
        ...notFoundResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { id } = c.req.valid('param');
      const task = await deps.access.use(userId, [], (docs) => {
        const found = getTask(docs, id);
        if (!found || found.deletedAt) throw new NotFoundError('task', id);
        return found;
      });
      return c.json(await one(userId, task), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/{id}',
      summary: 'Update a task (partial)',
      description:
        'Setting status COMPLETED completes the task; a recurring task gets its next occurrence.',
      tags: ['Tasks'],
      request: { params: IdParam, body: jsonBody(TaskPatchBody, 'The fields to change') },
      responses: {
        200: jsonResponse(TaskSchema, 'The updated task'),
        ...notFoundResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const task = await deps.access.use(userId, [], (docs, ctx) =>
        inApiTerms('task', () => updateTask(docs, id, toPatch(body), ctx).task),
      );
      return c.json(await one(userId, task), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Delete a task',
      description:
        'Moves the task and its subtasks to the trash (restorable from the app for 30 days).',
      tags: ['Tasks'],
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' }, ...notFoundResponse, ...errorResponses },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { id } = c.req.valid('param');
      await deps.access.use(userId, [], (docs, ctx) => deleteTask(docs, id, ctx));
      return c.body(null, 204);
    },
  );

  return app;
}
