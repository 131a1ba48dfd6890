import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import { startTestServer, type TestServer, type TestUser } from '../test-server.js';

/**
 * One user never sees another's data through any endpoint: every route is walked as a second
 * user with the first user's ids, and nothing of the first user comes back.
 */
describe.each(testDatabaseKinds())('isolation between users on %s', (kind) => {
  let ts: TestServer;
  let alice: TestUser;
  let mallory: TestUser;
  const ids: Record<string, string> = {};

  const call = async (as: TestUser, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${ts.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${as.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, text };
  };

  beforeAll(async () => {
    ts = await startTestServer(kind);
    alice = await ts.register('alice');
    mallory = await ts.register('mallory');
    const project = JSON.parse(
      (await call(alice, 'POST', '/projects', { name: 'Secret project' })).text,
    );
    const tag = JSON.parse((await call(alice, 'POST', '/tags', { name: 'secret-tag' })).text);
    const task = JSON.parse(
      (
        await call(alice, 'POST', '/tasks', {
          title: 'Secret task',
          project_id: project.id,
          tags: ['secret-tag'],
        })
      ).text,
    );
    const entry = JSON.parse(
      (
        await call(alice, 'POST', '/time/entries', {
          task_id: task.id,
          start_time: new Date(Date.now() - 3_600_000).toISOString(),
          end_time: new Date(Date.now() - 1_800_000).toISOString(),
          description: 'Secret work',
        })
      ).text,
    );
    const running = JSON.parse(
      (await call(alice, 'POST', '/time/start', { task_id: task.id })).text,
    );
    Object.assign(ids, {
      project: project.id,
      tag: tag.id,
      task: task.id,
      entry: entry.id,
      running: running.id,
    });
    for (const [name, id] of Object.entries(ids))
      if (typeof id !== 'string') throw new Error(`no ${name} id`);
  }, 60_000);

  afterAll(async () => {
    await ts?.dispose();
  });

  it('answers 404 for every route addressed with another user’s ids, and leaves them untouched', async () => {
    const attempts: [string, string, unknown?][] = [
      ['GET', `/tasks/${ids.task}`],
      ['PATCH', `/tasks/${ids.task}`, { title: 'hijacked' }],
      ['DELETE', `/tasks/${ids.task}`],
      ['GET', `/projects/${ids.project}`],
      ['PATCH', `/projects/${ids.project}`, { name: 'hijacked' }],
      ['DELETE', `/projects/${ids.project}`],
      ['GET', `/tags/${ids.tag}`],
      ['PATCH', `/tags/${ids.tag}`, { name: 'hijacked' }],
      ['DELETE', `/tags/${ids.tag}`],
      ['GET', `/time/entries/${ids.entry}`],
      ['PATCH', `/time/entries/${ids.entry}`, { description: 'hijacked' }],
      ['DELETE', `/time/entries/${ids.entry}`],
      ['POST', `/time/stop/${ids.running}`],
    ];
    for (const [method, path, body] of attempts) {
      const { status, text } = await call(mallory, method, path, body);
      expect({ method, path, status }).toEqual({ method, path, status: 404 });
      expect(text).not.toMatch(/Secret|secret/);
    }
    const own = JSON.parse((await call(alice, 'GET', `/tasks/${ids.task}`)).text);
    expect(own).toMatchObject({
      title: 'Secret task',
      project_id: ids.project,
      tags: ['secret-tag'],
    });
    expect((await call(alice, 'GET', `/time/entries/${ids.entry}`)).status).toBe(200);
  });

  it('never lists, counts or references another user’s data', async () => {
    const reads = [
      '/tasks',
      `/tasks?project_id=${ids.project}`,
      '/tasks?tag=secret-tag',
      '/tasks?q=secret',
      '/projects?include_archived=true',
      '/tags',
      '/time/entries',
      `/time/entries?task_id=${ids.task}`,
      '/analytics/dashboard?period=90d',
      `/analytics/time-distribution?start_date=2020-01-01&end_date=2020-12-31`,
    ];
    for (const path of reads) {
      const { status, text } = await call(mallory, 'GET', path);
      expect({ path, status }).toEqual({ path, status: 200 });
      expect(text).not.toMatch(/Secret|secret/);
      for (const id of Object.values(ids)) expect(text).not.toContain(id);
    }
    const dashboard = JSON.parse(
      (await call(mallory, 'GET', '/analytics/dashboard?period=90d')).text,
    );
    expect(dashboard).toMatchObject({ tasks_created: 0, total_time_tracked: 0 });
    const tasks = JSON.parse((await call(mallory, 'GET', '/tasks')).text);
    expect(tasks.total).toBe(0);
  });

  it('refuses to attach another user’s records to one’s own', async () => {
    const linked = await call(mallory, 'POST', '/tasks', {
      title: 'Mine',
      project_id: ids.project,
      parent_task_id: ids.task,
    });
    expect(linked.status).toBe(422);
    expect(
      JSON.parse(linked.text)
        .error.fields.map((f: { field: string }) => f.field)
        .sort(),
    ).toEqual(['parent_task_id', 'project_id']);
    const timer = await call(mallory, 'POST', '/time/start', { task_id: ids.task });
    expect(timer.status).toBe(422);
  });
});
