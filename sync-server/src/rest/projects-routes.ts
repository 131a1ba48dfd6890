import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  createProject,
  deleteProject,
  fromApiKeys,
  getProject,
  listProjects,
  NotFoundError,
  type ProjectCreateInput,
  type ProjectPatch,
  projectFields,
  projectToApi,
  updateProject,
} from '@tasks/crdt';
import {
  errorResponses,
  IdParam,
  inApiTerms,
  jsonBody,
  jsonResponse,
  notFoundResponse,
  snakeObject,
} from './api-schemas.js';
import { listOf, ProjectSchema } from './catalog-schemas.js';
import type { DocumentAccess } from './document-access.js';
import type { TrackedTime } from './tracked-time.js';
import { validationHook } from './validation-hook.js';

const ProjectCreateBody = snakeObject('project', projectFields)
  .partial()
  .required({ name: true })
  .strict()
  .openapi('ProjectCreate');
const ProjectPatchBody = snakeObject('project', projectFields)
  .partial()
  .strict()
  .openapi('ProjectPatch');

const ListQuery = z
  .object({
    include_archived: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .transform((value) => value === 'true')
      .optional()
      .openapi({ description: 'Also list archived projects (default false)' }),
  })
  .strict();

export function createProjectRoutes(deps: {
  access: DocumentAccess;
  tracked: TrackedTime;
  clock: () => Date;
}) {
  const app = new OpenAPIHono({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      summary: 'Create a project',
      tags: ['Projects'],
      request: { body: jsonBody(ProjectCreateBody, 'The project') },
      responses: { 201: jsonResponse(ProjectSchema, 'The created project'), ...errorResponses },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const input = fromApiKeys('project', c.req.valid('json')) as ProjectCreateInput;
      const project = await deps.access.use(userId, [], (docs, ctx) =>
        inApiTerms('project', () => createProject(docs, input, ctx)),
      );
      return c.json(projectToApi(project, userId), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary: 'List projects',
      description: 'By name; archived projects only with `include_archived=true`.',
      tags: ['Projects'],
      request: { query: ListQuery },
      responses: {
        200: jsonResponse(listOf(ProjectSchema, 'ProjectList'), 'The projects'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const includeArchived = c.req.valid('query').include_archived ?? false;
      const projects = await deps.access.use(userId, [], (docs) =>
        listProjects(docs, { includeArchived }),
      );
      return c.json({ items: projects.map((project) => projectToApi(project, userId)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      summary: 'Get a project',
      tags: ['Projects'],
      request: { params: IdParam },
      responses: {
        200: jsonResponse(ProjectSchema, 'The project'),
        ...notFoundResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { id } = c.req.valid('param');
      const project = await deps.access.use(userId, [], (docs) => getProject(docs, id));
      if (!project) throw new NotFoundError('project', id);
      return c.json(projectToApi(project, userId), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/{id}',
      summary: 'Update a project (partial)',
      description: 'An empty `description` clears it; `is_archived` archives or restores.',
      tags: ['Projects'],
      request: { params: IdParam, body: jsonBody(ProjectPatchBody, 'The fields to change') },
      responses: {
        200: jsonResponse(ProjectSchema, 'The updated project'),
        ...notFoundResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { id } = c.req.valid('param');
      const patch = fromApiKeys('project', c.req.valid('json')) as ProjectPatch;
      const project = await deps.access.use(userId, [], (docs, ctx) =>
        inApiTerms('project', () => updateProject(docs, id, patch, ctx)),
      );
      return c.json(projectToApi(project, userId), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Delete a project',
      description: 'Its tasks stay, without a project.',
      tags: ['Projects'],
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' }, ...notFoundResponse, ...errorResponses },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { id } = c.req.valid('param');
      await deps.access.use(userId, [], (docs, ctx) => deleteProject(docs, id, ctx));
      return c.body(null, 204);
    },
  );

  return app;
}
