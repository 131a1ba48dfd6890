import { type ApiProject, type ApiTask, listProjects, UserDocs } from '@tasks/crdt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { testDatabaseKinds } from '../db/test-databases.js';
import {
  callApi as call,
  type ErrorBody,
  type ApiReply as Reply,
  startTestServer,
  type TestServer,
} from '../test-server.js';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

interface ProjectList {
  items: ApiProject[];
}

function fieldsOf(reply: Reply<ErrorBody>): string[] {
  return reply.body.error.fields.map((f) => f.field).sort();
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each(testDatabaseKinds())('projects API on %s', (kind) => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer(kind);
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  describe('POST /api/v1/projects', () => {
    it('creates an active project with the default colour, in the spec’s shape', async () => {
      const user = await ts.register('create');
      const reply = await call<ApiProject>(ts, user, 'POST', '/projects', { name: ' Garden ' });
      expect(reply.status).toBe(201);
      expect(reply.body).toEqual({
        id: expect.any(String),
        user_id: user.userId,
        name: 'Garden',
        description: '',
        color: '#3b82f6',
        is_archived: false,
        created_at: expect.stringMatching(ISO_INSTANT),
        updated_at: reply.body.created_at,
      });
    });

    it('keeps the description, colour (lower-cased) and archived flag given', async () => {
      const user = await ts.register('full');
      const reply = await call<ApiProject>(ts, user, 'POST', '/projects', {
        name: 'Old house',
        description: 'Sold in 2024',
        color: '#AABBCC',
        is_archived: true,
      });
      expect(reply.status).toBe(201);
      expect(reply.body).toMatchObject({
        name: 'Old house',
        description: 'Sold in 2024',
        color: '#aabbcc',
        is_archived: true,
      });
    });

    it.each([
      ['an empty name', { name: '   ' }, ['name']],
      ['no name', { color: '#abc' }, ['name']],
      ['a name of 101 characters', { name: 'x'.repeat(101) }, ['name']],
      [
        'a bad colour and a non-boolean archived flag',
        { name: 'a', color: 'blue', is_archived: 'yes' },
        ['color', 'is_archived'],
      ],
      ['an unknown field', { name: 'a', owner: 'me' }, ['owner']],
      ['the camelCase name of a field', { name: 'a', isArchived: true }, ['isArchived']],
    ])('refuses %s with 422 naming the snake_case fields', async (_case, body, fields) => {
      const user = await ts.register('invalid');
      const reply = await call(ts, user, 'POST', '/projects', body);
      expect(reply.status).toBe(422);
      expect(reply.body.error.code).toBe('validation_failed');
      expect(fieldsOf(reply)).toEqual(fields);
      expect(
        (await call<ProjectList>(ts, user, 'GET', '/projects?include_archived=true')).body.items,
      ).toEqual([]);
    });

    it('refuses a body that is not JSON with 400', async () => {
      const user = await ts.register('malformed');
      const response = await fetch(`${ts.url}/api/v1/projects`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
        body: '{"name": ',
      });
      expect(response.status).toBe(400);
    });

    it('refuses a request without a token with 401', async () => {
      const response = await fetch(`${ts.url}/api/v1/projects`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Nope' }),
      });
      expect(response.status).toBe(401);
    });
  });

  describe('GET /api/v1/projects', () => {
    it('lists active projects by name, and archived ones only when asked', async () => {
      const user = await ts.register('list');
      for (const name of ['Work', 'garden', 'Admin'])
        await call(ts, user, 'POST', '/projects', { name });
      await call(ts, user, 'POST', '/projects', { name: 'Attic', is_archived: true });

      const active = await call<ProjectList>(ts, user, 'GET', '/projects');
      expect(active.status).toBe(200);
      expect(Object.keys(active.body)).toEqual(['items']);
      expect(active.body.items.map((p) => p.name)).toEqual(['Admin', 'garden', 'Work']);
      const notArchived = await call<ProjectList>(
        ts,
        user,
        'GET',
        '/projects?include_archived=false',
      );
      expect(notArchived.body).toEqual(active.body);

      const all = await call<ProjectList>(ts, user, 'GET', '/projects?include_archived=true');
      expect(all.body.items.map((p) => p.name)).toEqual(['Admin', 'Attic', 'garden', 'Work']);
      expect(all.body.items[1]).toMatchObject({ name: 'Attic', is_archived: true });
    });

    it.each([
      ['include_archived=yes', ['include_archived']],
      ['archived=true', ['archived']],
    ])('refuses ?%s with 422', async (query, fields) => {
      const user = await ts.register('badquery');
      const reply = await call(ts, user, 'GET', `/projects?${query}`);
      expect(reply.status).toBe(422);
      expect(fieldsOf(reply)).toEqual(fields);
    });

    it('shows each user only their own projects', async () => {
      const alice = await ts.register('alice');
      const bob = await ts.register('bob');
      await call(ts, alice, 'POST', '/projects', { name: 'Alice’s' });
      expect((await call(ts, bob, 'GET', '/projects')).body).toEqual({ items: [] });
    });
  });

  describe('GET /api/v1/projects/{id}', () => {
    it('returns the project as it was created', async () => {
      const user = await ts.register('get');
      const created = await call<ApiProject>(ts, user, 'POST', '/projects', { name: 'Garden' });
      const reply = await call<ApiProject>(ts, user, 'GET', `/projects/${created.body.id}`);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual(created.body);
    });

    it('returns 404 for an unknown id and for another user’s project', async () => {
      const alice = await ts.register('owner');
      const bob = await ts.register('other');
      const created = await call<ApiProject>(ts, alice, 'POST', '/projects', { name: 'Private' });
      const unknown = await call(ts, alice, 'GET', '/projects/no-such-project');
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('not_found');
      expect((await call(ts, bob, 'GET', `/projects/${created.body.id}`)).status).toBe(404);
    });
  });

  describe('PATCH /api/v1/projects/{id}', () => {
    it('changes only the fields given', async () => {
      const user = await ts.register('patch');
      const created = await call<ApiProject>(ts, user, 'POST', '/projects', {
        name: 'Garden',
        description: 'Vegetables',
        color: '#22c55e',
      });
      const reply = await call<ApiProject>(ts, user, 'PATCH', `/projects/${created.body.id}`, {
        name: 'Allotment',
      });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        ...created.body,
        name: 'Allotment',
        updated_at: expect.stringMatching(ISO_INSTANT),
      });
      expect(Date.parse(reply.body.updated_at)).toBeGreaterThanOrEqual(
        Date.parse(created.body.created_at),
      );
      expect((await call(ts, user, 'GET', `/projects/${created.body.id}`)).body).toEqual(
        reply.body,
      );
    });

    it('archives a project, which leaves the default list, and clears a description', async () => {
      const user = await ts.register('archive');
      const created = await call<ApiProject>(ts, user, 'POST', '/projects', {
        name: 'Move house',
        description: 'Boxes',
      });
      const reply = await call<ApiProject>(ts, user, 'PATCH', `/projects/${created.body.id}`, {
        is_archived: true,
        description: '',
      });
      expect(reply.body).toMatchObject({ is_archived: true, description: '' });
      expect((await call<ProjectList>(ts, user, 'GET', '/projects')).body.items).toEqual([]);
      const restored = await call<ApiProject>(ts, user, 'PATCH', `/projects/${created.body.id}`, {
        is_archived: false,
      });
      expect(restored.body.is_archived).toBe(false);
      expect((await call<ProjectList>(ts, user, 'GET', '/projects')).body.items).toHaveLength(1);
    });

    it('refuses invalid fields with 422 and changes nothing', async () => {
      const user = await ts.register('badpatch');
      const created = await call<ApiProject>(ts, user, 'POST', '/projects', { name: 'Garden' });
      const reply = await call(ts, user, 'PATCH', `/projects/${created.body.id}`, {
        name: '',
        is_archived: 1,
        user_id: 'someone-else',
      });
      expect(reply.status).toBe(422);
      expect(fieldsOf(reply)).toEqual(['is_archived', 'name', 'user_id']);
      expect((await call(ts, user, 'GET', `/projects/${created.body.id}`)).body).toEqual(
        created.body,
      );
    });

    it('returns 404 for an unknown id', async () => {
      const user = await ts.register('patch404');
      const reply = await call(ts, user, 'PATCH', '/projects/no-such-project', { name: 'X' });
      expect(reply.status).toBe(404);
    });
  });

  describe('DELETE /api/v1/projects/{id}', () => {
    it('deletes the project and leaves its tasks without a project', async () => {
      const user = await ts.register('delete');
      const project = await call<ApiProject>(ts, user, 'POST', '/projects', { name: 'Garden' });
      const task = await call<ApiTask>(ts, user, 'POST', '/tasks', {
        title: 'Plant tomatoes',
        project_id: project.body.id,
      });
      expect(task.body.project_id).toBe(project.body.id);

      const reply = await call(ts, user, 'DELETE', `/projects/${project.body.id}`);
      expect(reply.status).toBe(204);
      expect(reply.body).toBeNull();
      expect((await call(ts, user, 'GET', `/projects/${project.body.id}`)).status).toBe(404);
      const after = await call<ApiTask>(ts, user, 'GET', `/tasks/${task.body.id}`);
      expect(after.status).toBe(200);
      expect(after.body).toMatchObject({ title: 'Plant tomatoes', project_id: null });
    });

    it('returns 404 for an unknown id and for a project already deleted', async () => {
      const user = await ts.register('delete404');
      expect((await call(ts, user, 'DELETE', '/projects/no-such-project')).status).toBe(404);
      const project = await call<ApiProject>(ts, user, 'POST', '/projects', { name: 'Once' });
      expect((await call(ts, user, 'DELETE', `/projects/${project.body.id}`)).status).toBe(204);
      expect((await call(ts, user, 'DELETE', `/projects/${project.body.id}`)).status).toBe(404);
    });
  });

  it('sends a project created through REST to a stock y-websocket client of the user', async () => {
    const user = await ts.register('live');
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(ts.wsUrl, user.userId, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      params: { token: user.token },
      disableBc: true,
    });
    try {
      await waitFor(() => provider.synced, 'the client to sync');
      const created = await call<ApiProject>(ts, user, 'POST', '/projects', {
        name: 'Seen live',
        color: '#ff0000',
      });
      const docs = new UserDocs(user.userId, { main: doc });
      await waitFor(
        () => listProjects(docs).some((p) => p.id === created.body.id),
        'the project on the client',
      );
      expect(listProjects(docs)).toEqual([
        {
          id: created.body.id,
          name: 'Seen live',
          description: '',
          color: '#ff0000',
          isArchived: false,
          createdAt: created.body.created_at,
          updatedAt: created.body.updated_at,
        },
      ]);
    } finally {
      provider.destroy();
    }
  });
});
