import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import {
  createTag,
  deleteTag,
  fromApiKeys,
  getTagById,
  listTags,
  NotFoundError,
  type Tag,
  type TagCreateInput,
  type TagPatch,
  tagFields,
  tagToApi,
  type UserDocs,
  updateTag,
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
import { conflictResponse, listOf, TagSchema } from './catalog-schemas.js';
import type { DocumentAccess } from './document-access.js';
import type { TrackedTime } from './tracked-time.js';
import { validationHook } from './validation-hook.js';

const TagCreateBody = snakeObject('tag', tagFields)
  .partial()
  .required({ name: true })
  .strict()
  .openapi('TagCreate');
const TagPatchBody = snakeObject('tag', tagFields).partial().strict().openapi('TagPatch');

/**
 * The tag with this id. The crdt also finds a tag by its key (its normalized name), but the
 * API's `{id}` is the id only, so that GET, PATCH and DELETE agree on what exists.
 */
function tagWithId(docs: UserDocs, id: string): Tag {
  const tag = getTagById(docs, id);
  if (!tag) throw new NotFoundError('tag', id);
  return tag;
}

export function createTagRoutes(deps: {
  access: DocumentAccess;
  tracked: TrackedTime;
  clock: () => Date;
}) {
  const app = new OpenAPIHono({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      summary: 'Create a tag',
      description: 'Names are unique per user, ignoring case and surrounding or repeated spaces.',
      tags: ['Tags'],
      request: { body: jsonBody(TagCreateBody, 'The tag') },
      responses: {
        201: jsonResponse(TagSchema, 'The created tag'),
        ...conflictResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const input = fromApiKeys('tag', c.req.valid('json')) as TagCreateInput;
      const tag = await deps.access.use(userId, [], (docs, ctx) =>
        inApiTerms('tag', () => createTag(docs, input, ctx)),
      );
      return c.json(tagToApi(tag, userId), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary: 'List tags',
      tags: ['Tags'],
      responses: {
        200: jsonResponse(listOf(TagSchema, 'TagList'), 'The tags'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const tags = await deps.access.use(userId, [], (docs) => listTags(docs));
      return c.json({ items: tags.map((tag) => tagToApi(tag, userId)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      summary: 'Get a tag',
      tags: ['Tags'],
      request: { params: IdParam },
      responses: {
        200: jsonResponse(TagSchema, 'The tag'),
        ...notFoundResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { id } = c.req.valid('param');
      const tag = await deps.access.use(userId, [], (docs) => tagWithId(docs, id));
      return c.json(tagToApi(tag, userId), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/{id}',
      summary: 'Update a tag (partial)',
      description: 'A rename shows on every task that has the tag.',
      tags: ['Tags'],
      request: { params: IdParam, body: jsonBody(TagPatchBody, 'The fields to change') },
      responses: {
        200: jsonResponse(TagSchema, 'The updated tag'),
        ...notFoundResponse,
        ...conflictResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { id } = c.req.valid('param');
      const patch = fromApiKeys('tag', c.req.valid('json')) as TagPatch;
      const tag = await deps.access.use(userId, [], (docs, ctx) => {
        const existing = tagWithId(docs, id);
        return inApiTerms('tag', () => updateTag(docs, existing.id, patch, ctx));
      });
      return c.json(tagToApi(tag, userId), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Delete a tag',
      description: 'Also removes it from every task.',
      tags: ['Tags'],
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' }, ...notFoundResponse, ...errorResponses },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { id } = c.req.valid('param');
      await deps.access.use(userId, [], (docs) => deleteTag(docs, tagWithId(docs, id).id));
      return c.body(null, 204);
    },
  );

  return app;
}
