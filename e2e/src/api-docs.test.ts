import { expect, test } from './fixtures.js';

test('the API reference page renders the OpenAPI document, with no request leaving the machine', async ({
  page,
}) => {
  const outside: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.hostname !== '127.0.0.1' && url.protocol.startsWith('http'))
      outside.push(request.url());
  });
  await page.goto('/api/docs');
  await expect(page.getByText('Tasks, calendar and time API').first()).toBeVisible({
    timeout: 15_000,
  });
  await expect(page.getByText('Create a task').first()).toBeVisible();
  const spec = await (await page.request.get('/api/v1/openapi.json')).json();
  expect(spec.openapi).toBe('3.1.0');
  expect(Object.keys(spec.paths)).toEqual(
    expect.arrayContaining([
      '/tasks',
      '/tasks/{id}',
      '/projects',
      '/tags',
      '/time/start',
      '/time/entries',
      '/analytics/dashboard',
    ]),
  );
  expect(outside).toEqual([]);
});
