import { type APIRequestContext, expect, type Page, test } from '@playwright/test';
import { apiToken, newAccount, signIn, taskRow, waitUntilSynced } from './helpers.js';

/**
 * The task editor's reminders: added and removed in the app, seen by the server through the
 * REST API. The browser's clock is pinned and the account lives in Berlin, so the times shown
 * and stored do not depend on the day or the machine's zone.
 */

const NOW = new Date('2027-03-10T08:00:00Z');

/** A new account in Berlin, signed in with the browser's clock at NOW. */
async function signInInBerlin(page: Page, request: APIRequestContext): Promise<void> {
  const account = newAccount();
  const response = await request.post('/api/v1/auth/register', {
    data: { ...account, timezone: 'Europe/Berlin' },
  });
  expect(response.status()).toBe(201);
  await page.clock.install({ time: NOW });
  await signIn(page, account);
}

async function createTask(page: Page, data: Record<string, unknown>): Promise<string> {
  const { token } = await apiToken(page);
  const created = await page.request.post('/api/v1/tasks', {
    headers: { authorization: `Bearer ${token}` },
    data,
  });
  expect(created.status()).toBe(201);
  return ((await created.json()) as { id: string }).id;
}

/** The task's reminders as the server has them, once the app's changes have reached it. */
async function storedReminders(page: Page, id: string): Promise<unknown> {
  await waitUntilSynced(page);
  const { token } = await apiToken(page);
  const reply = await page.request.get(`/api/v1/tasks/${id}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(reply.status()).toBe(200);
  return ((await reply.json()) as { reminders: unknown }).reminders;
}

async function openEditor(page: Page, title: string) {
  await taskRow(page, title).getByRole('button', { name: title, exact: true }).click();
  return page.getByRole('dialog', { name: 'Edit task' });
}

test('a 15-minute reminder added in the task editor reaches the server, and removing it too', async ({
  page,
  request,
}) => {
  await signInInBerlin(page, request);
  // Due tomorrow 15:00 in Berlin (14:00 UTC).
  const id = await createTask(page, {
    title: 'Renew the parking permit',
    due_date: '2027-03-11T14:00:00Z',
  });
  const editor = await openEditor(page, 'Renew the parking permit');
  await expect(editor.getByText('No reminders.')).toBeVisible();

  await editor.getByLabel('New reminder').selectOption({ label: '15 minutes before' });
  await editor.getByRole('button', { name: 'Add reminder', exact: true }).click();
  const reminders = editor.getByRole('list', { name: 'Task reminders' });
  await expect(reminders.getByRole('listitem')).toHaveText([
    '15 minutes before · Thu 11 Mar, 14:45Remove',
  ]);
  expect(await storedReminders(page, id)).toEqual([{ minutes_before: 15 }]);

  await editor
    .getByRole('button', { name: 'Remove reminder: 15 minutes before', exact: true })
    .click();
  await expect(editor.getByText('No reminders.')).toBeVisible();
  expect(await storedReminders(page, id)).toEqual([]);
});

test('an undated task explains that reminders before it need a date, and takes one at a time', async ({
  page,
  request,
}) => {
  await signInInBerlin(page, request);
  const id = await createTask(page, { title: 'Call the plumber back' });
  const editor = await openEditor(page, 'Call the plumber back');
  await expect(
    editor.getByText('Reminders before the task’s time need a due or start date'),
  ).toBeVisible();
  const choice = editor.getByLabel('New reminder');
  await expect(choice).toHaveValue('at');
  await expect(choice.getByRole('option', { name: '15 minutes before' })).toBeDisabled();

  // Submitted empty, the form says what is missing; the keyboard alone fills it in.
  await editor.getByRole('button', { name: 'Add reminder', exact: true }).click();
  await expect(editor.getByRole('alert')).toHaveText('Choose the date and time to be reminded at.');
  await editor.getByLabel('Remind at (Europe/Berlin)').fill('2027-03-12T09:00');
  await editor.getByLabel('Remind at (Europe/Berlin)').press('Enter');
  await expect(editor.getByRole('list', { name: 'Task reminders' })).toContainText(
    'At Fri 12 Mar, 09:00',
  );
  await expect(editor.getByRole('alert')).toHaveCount(0);
  // 09:00 in Berlin in March (winter time) is 08:00 UTC.
  expect(await storedReminders(page, id)).toEqual([{ at: '2027-03-12T08:00:00Z' }]);

  // Given a date, the relative choices open up; a custom offset past four weeks is the crdt's refusal.
  await editor.getByLabel('Due', { exact: true }).fill('2027-03-12T17:00');
  await editor.getByLabel('Due', { exact: true }).dispatchEvent('change');
  await expect(
    editor.getByText('Reminders before the task’s time need a due or start date'),
  ).toHaveCount(0);
  await choice.selectOption({ label: 'Minutes before…' });
  await editor.getByLabel('Minutes before the task').fill('50000');
  await editor.getByRole('button', { name: 'Add reminder', exact: true }).click();
  await expect(editor.getByRole('alert')).toHaveText('must be at most four weeks (40320)');
  await editor.getByLabel('Minutes before the task').fill('90');
  await editor.getByRole('button', { name: 'Add reminder', exact: true }).click();
  await expect(
    editor.getByRole('list', { name: 'Task reminders' }).getByRole('listitem'),
  ).toHaveText(['90 minutes before · Fri 12 Mar, 15:30Remove', 'At Fri 12 Mar, 09:00Remove']);
  expect(await storedReminders(page, id)).toEqual([
    { minutes_before: 90 },
    { at: '2027-03-12T08:00:00Z' },
  ]);
});
