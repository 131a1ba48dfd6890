import type { ApiTag, ApiTask } from '@tasks/crdt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import {
  callApi as call,
  type ErrorBody,
  type ApiReply as Reply,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../test-server.js';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

interface TagList {
  items: ApiTag[];
}

function fieldsOf(reply: Reply<ErrorBody>): string[] {
  return reply.body.error.fields.map((f) => f.field).sort();
}

describe.each(testDatabaseKinds())('tags API on %s', (kind) => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer(kind);
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  const tagNamed = async (user: TestUser, name: string): Promise<ApiTag> => {
    const list = await call<TagList>(ts, user, 'GET', '/tags');
    const tag = list.body.items.find((item) => item.name === name);
    if (!tag) throw new Error(`no tag named ${name}`);
    return tag;
  };

  describe('POST /api/v1/tags', () => {
    it('creates a tag with the default colour, in the spec’s shape', async () => {
      const user = await ts.register('create');
      const reply = await call<ApiTag>(ts, user, 'POST', '/tags', { name: ' Deep Work ' });
      expect(reply.status).toBe(201);
      expect(reply.body).toEqual({
        id: expect.any(String),
        user_id: user.userId,
        name: 'Deep Work',
        color: '#64748b',
        created_at: expect.stringMatching(ISO_INSTANT),
      });
    });

    it('keeps the colour given, lower-cased', async () => {
      const user = await ts.register('color');
      const reply = await call<ApiTag>(ts, user, 'POST', '/tags', {
        name: 'Urgent',
        color: '#F00',
      });
      expect(reply.status).toBe(201);
      expect(reply.body).toMatchObject({ name: 'Urgent', color: '#f00' });
    });

    it('refuses " work " when "Work" exists with 409 naming the field', async () => {
      const user = await ts.register('duplicate');
      const first = await call<ApiTag>(ts, user, 'POST', '/tags', { name: 'Work' });
      expect(first.status).toBe(201);
      const reply = await call(ts, user, 'POST', '/tags', { name: ' work ', color: '#000000' });
      expect(reply.status).toBe(409);
      expect(reply.body.error.code).toBe('conflict');
      expect(fieldsOf(reply)).toEqual(['name']);
      expect((await call<TagList>(ts, user, 'GET', '/tags')).body.items).toEqual([first.body]);
    });

    it('lets two users each have a tag of the same name', async () => {
      const alice = await ts.register('alice');
      const bob = await ts.register('bob');
      expect((await call(ts, alice, 'POST', '/tags', { name: 'Work' })).status).toBe(201);
      expect((await call(ts, bob, 'POST', '/tags', { name: 'work' })).status).toBe(201);
    });

    it.each([
      ['an empty name', { name: '  ' }, ['name']],
      ['no name', { color: '#abc' }, ['name']],
      ['a name of 51 characters', { name: 'x'.repeat(51) }, ['name']],
      [
        'a name that is not a string, and a bad colour',
        { name: 7, color: 'red' },
        ['color', 'name'],
      ],
      ['an unknown field', { name: 'a', user_id: 'someone-else' }, ['user_id']],
    ])('refuses %s with 422 naming the fields', async (_case, body, fields) => {
      const user = await ts.register('invalid');
      const reply = await call(ts, user, 'POST', '/tags', body);
      expect(reply.status).toBe(422);
      expect(reply.body.error.code).toBe('validation_failed');
      expect(fieldsOf(reply)).toEqual(fields);
      expect((await call<TagList>(ts, user, 'GET', '/tags')).body.items).toEqual([]);
    });
  });

  describe('GET /api/v1/tags', () => {
    it('lists the user’s tags, including those a task created', async () => {
      const user = await ts.register('list');
      const home = await call<ApiTag>(ts, user, 'POST', '/tags', {
        name: 'Home',
        color: '#00ff00',
      });
      await call(ts, user, 'POST', '/tasks', { title: 'Call the bank', tags: ['Admin'] });

      const reply = await call<TagList>(ts, user, 'GET', '/tags');
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        items: [
          {
            id: expect.any(String),
            user_id: user.userId,
            name: 'Admin',
            color: '#64748b',
            created_at: expect.stringMatching(ISO_INSTANT),
          },
          home.body,
        ],
      });
      const stranger = await ts.register('stranger');
      expect((await call(ts, stranger, 'GET', '/tags')).body).toEqual({ items: [] });
    });
  });

  describe('GET /api/v1/tags/{id}', () => {
    it('returns the tag as it was created', async () => {
      const user = await ts.register('get');
      const created = await call<ApiTag>(ts, user, 'POST', '/tags', { name: 'Reading' });
      const reply = await call<ApiTag>(ts, user, 'GET', `/tags/${created.body.id}`);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual(created.body);
    });

    it('returns 404 for an unknown id, a tag’s name, and another user’s tag', async () => {
      const alice = await ts.register('owner');
      const bob = await ts.register('other');
      const created = await call<ApiTag>(ts, alice, 'POST', '/tags', { name: 'private' });
      const unknown = await call(ts, alice, 'GET', '/tags/no-such-tag');
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('not_found');
      expect((await call(ts, alice, 'GET', '/tags/private')).status).toBe(404);
      expect((await call(ts, bob, 'GET', `/tags/${created.body.id}`)).status).toBe(404);
    });
  });

  describe('PATCH /api/v1/tags/{id}', () => {
    it('renames a tag, keeping its id and colour, and tasks show the new name', async () => {
      const user = await ts.register('rename');
      const task = await call<ApiTask>(ts, user, 'POST', '/tasks', {
        title: 'Write the report',
        tags: ['Work', 'Writing'],
      });
      const work = await tagNamed(user, 'Work');

      const reply = await call<ApiTag>(ts, user, 'PATCH', `/tags/${work.id}`, {
        name: 'Deep work',
      });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ ...work, name: 'Deep work' });
      expect((await call(ts, user, 'GET', `/tags/${work.id}`)).body).toEqual(reply.body);
      const after = await call<ApiTask>(ts, user, 'GET', `/tasks/${task.body.id}`);
      expect(after.body.tags.sort()).toEqual(['Deep work', 'Writing']);
    });

    it('recolours a tag and allows a rename that changes only the case', async () => {
      const user = await ts.register('recolour');
      const created = await call<ApiTag>(ts, user, 'POST', '/tags', { name: 'work' });
      const reply = await call<ApiTag>(ts, user, 'PATCH', `/tags/${created.body.id}`, {
        name: 'WORK',
        color: '#ABCDEF',
      });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ ...created.body, name: 'WORK', color: '#abcdef' });
    });

    it('refuses a rename onto another tag’s name with 409 and changes nothing', async () => {
      const user = await ts.register('clash');
      const work = await call<ApiTag>(ts, user, 'POST', '/tags', { name: 'Work' });
      const home = await call<ApiTag>(ts, user, 'POST', '/tags', { name: 'Home' });
      const reply = await call(ts, user, 'PATCH', `/tags/${home.body.id}`, {
        name: '  WORK ',
        color: '#000',
      });
      expect(reply.status).toBe(409);
      expect(fieldsOf(reply)).toEqual(['name']);
      expect((await call<TagList>(ts, user, 'GET', '/tags')).body.items).toEqual([
        home.body,
        work.body,
      ]);
    });

    it('refuses invalid fields with 422', async () => {
      const user = await ts.register('badpatch');
      const created = await call<ApiTag>(ts, user, 'POST', '/tags', { name: 'Work' });
      const reply = await call(ts, user, 'PATCH', `/tags/${created.body.id}`, {
        name: '',
        color: 'blue',
        created_at: '2020-01-01T00:00:00Z',
      });
      expect(reply.status).toBe(422);
      expect(fieldsOf(reply)).toEqual(['color', 'created_at', 'name']);
      expect((await call(ts, user, 'GET', `/tags/${created.body.id}`)).body).toEqual(created.body);
    });

    it('returns 404 for an unknown id and for a tag’s name', async () => {
      const user = await ts.register('patch404');
      await call(ts, user, 'POST', '/tags', { name: 'work' });
      const unknown = await call(ts, user, 'PATCH', '/tags/no-such-tag', { name: 'X' });
      expect(unknown.status).toBe(404);
      expect((await call(ts, user, 'PATCH', '/tags/work', { name: 'X' })).status).toBe(404);
    });
  });

  describe('DELETE /api/v1/tags/{id}', () => {
    it('deletes the tag and removes it from every task', async () => {
      const user = await ts.register('delete');
      const first = await call<ApiTask>(ts, user, 'POST', '/tasks', {
        title: 'Plan the week',
        tags: ['Work', 'Planning'],
      });
      const second = await call<ApiTask>(ts, user, 'POST', '/tasks', {
        title: 'Expenses',
        tags: ['work'],
      });
      const work = await tagNamed(user, 'Work');

      const reply = await call(ts, user, 'DELETE', `/tags/${work.id}`);
      expect(reply.status).toBe(204);
      expect(reply.body).toBeNull();
      expect((await call(ts, user, 'GET', `/tags/${work.id}`)).status).toBe(404);
      expect((await call<ApiTask>(ts, user, 'GET', `/tasks/${first.body.id}`)).body.tags).toEqual([
        'Planning',
      ]);
      expect((await call<ApiTask>(ts, user, 'GET', `/tasks/${second.body.id}`)).body.tags).toEqual(
        [],
      );
    });

    it('returns 404 for an unknown id, a tag’s name, and a tag already deleted', async () => {
      const user = await ts.register('delete404');
      expect((await call(ts, user, 'DELETE', '/tags/no-such-tag')).status).toBe(404);
      const tag = await call<ApiTag>(ts, user, 'POST', '/tags', { name: 'once' });
      expect((await call(ts, user, 'DELETE', '/tags/once')).status).toBe(404);
      expect((await call(ts, user, 'DELETE', `/tags/${tag.body.id}`)).status).toBe(204);
      expect((await call(ts, user, 'DELETE', `/tags/${tag.body.id}`)).status).toBe(404);
    });
  });
});
