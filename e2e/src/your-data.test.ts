import { readFile } from 'node:fs/promises';
import type { Locator, Page } from '@playwright/test';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { E2E_PORT } from '../playwright.config.js';
import { expect, test } from './fixtures.js';
import {
  apiToken,
  newAccount,
  quickAdd,
  screenshot,
  signIn,
  signUp,
  taskRow,
  waitUntilSynced,
} from './helpers.js';

/** The JSON export the button downloads, checked to be our format. */
async function exportedFile(page: Page, button: Locator): Promise<{ tasks: { title: string }[] }> {
  const downloading = page.waitForEvent('download');
  await button.click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^tasks-export-\d{4}-\d{2}-\d{2}\.json$/);
  const exported = JSON.parse(await readFile((await download.path()) as string, 'utf8')) as {
    format: string;
    version: number;
    tasks: { title: string }[];
  };
  expect(exported).toMatchObject({ format: 'tasks-platform-export', version: 1 });
  return exported;
}

test('exports everything from Settings and imports a Todoist CSV and a calendar with a report', async ({
  page,
}) => {
  const account = newAccount();
  await signUp(page, account);
  await quickAdd(page, 'Renew passport');
  await expect(taskRow(page, 'Renew passport')).toBeVisible();
  await page.getByRole('link', { name: 'Settings' }).click();

  const exported = await exportedFile(
    page,
    page.getByRole('button', { name: 'Export everything (JSON)' }),
  );
  expect(exported.tasks.map((task) => task.title)).toEqual(['Renew passport']);

  const csv = [
    'TYPE,CONTENT,DESCRIPTION,PRIORITY,INDENT,AUTHOR,RESPONSIBLE,DATE,DATE_LANG,TIMEZONE',
    'section,Errands,,,,,,,,',
    'task,Buy stamps @post,,2,1,,,,,',
    'task,Call the plumber,,1,1,,,next blue moon,en,',
  ].join('\n');
  await page.getByLabel(/Import a file/).setInputFiles({
    name: 'Home.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(csv),
  });
  const report = page.getByRole('region', { name: 'Import report' });
  await expect(report).toContainText('Imported 2 tasks');
  await expect(report).toContainText('a Todoist section: its tasks are imported without it');
  await expect(report).toContainText('date "next blue moon" not understood');
  await screenshot(page, 'settings-import-report');

  // The same file again creates nothing twice.
  await page.getByLabel(/Import a file/).setInputFiles({
    name: 'Home.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(csv),
  });
  await expect(report).toContainText('Imported 0 tasks');

  // A calendar whose weekly series has a moved week: the report lists it.
  const ics = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Google Inc//Google Calendar 70.9054//EN',
    'BEGIN:VEVENT',
    'DTSTART:20260302T130000Z',
    'DTEND:20260302T140000Z',
    'RRULE:FREQ=WEEKLY;BYDAY=MO',
    'UID:review@google.com',
    'SUMMARY:Review',
    'END:VEVENT',
    'BEGIN:VEVENT',
    'DTSTART:20260310T150000Z',
    'DTEND:20260310T160000Z',
    'UID:review@google.com',
    'RECURRENCE-ID:20260309T130000Z',
    'SUMMARY:Review (moved)',
    'END:VEVENT',
    'END:VCALENDAR',
  ].join('\r\n');
  await page.getByLabel(/Import a file/).setInputFiles({
    name: 'Work.ics',
    mimeType: 'text/calendar',
    buffer: Buffer.from(ics),
  });
  await expect(report).toContainText('Imported 2 tasks');
  await expect(report).toContainText(
    'VEVENT review@google.com occurrence 2026-03-09T13:00:00Z (Review (moved)): moved, imported as a task of its own; its series skips the original date',
  );

  await page.getByRole('link', { name: 'Inbox' }).first().click();
  await expect(taskRow(page, 'Buy stamps')).toHaveCount(1);
  await expect(taskRow(page, 'Call the plumber')).toHaveCount(1);
});

test('signs out everywhere from Settings, and the account can be deleted after a warning and an export', async ({
  page,
}) => {
  const account = newAccount();
  await signUp(page, account);
  await quickAdd(page, 'Something to lose');
  await waitUntilSynced(page);
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();

  await signIn(page, account);
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Delete my account…' }).click();
  const form = page.getByRole('form', { name: 'Delete account' });
  await expect(form).toContainText('Export everything first');
  // The export is right there in the step, and made on this device: offline too.
  await page.context().setOffline(true);
  const exported = await exportedFile(
    page,
    form.getByRole('button', { name: 'Export my data first' }),
  );
  expect(exported.tasks.map((task) => task.title)).toEqual(['Something to lose']);
  await expect(page.getByText('Exported 1 tasks, 0 projects and 0 time entries')).toBeVisible();
  await page.context().setOffline(false);
  await form.getByLabel('Your password').fill('not the password');
  await form.getByRole('button', { name: 'Delete my account for good' }).click();
  await expect(page.getByText('password: is not your current password')).toBeVisible();
  await form.getByLabel('Your password').fill(account.password);
  await form.getByRole('button', { name: 'Delete my account for good' }).click();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  const login = await page.request.post('/api/v1/auth/login', {
    data: { email: account.email, password: account.password },
  });
  expect(login.status()).toBe(401);
});

/**
 * Records the task's version now, as reading its history does. A person takes more than a
 * moment between adding a task and renaming it; a test does not, and the server starts at most
 * three recordings of a user a second (the rest gather).
 */
async function recordVersionOf(page: Page, title: string): Promise<void> {
  const { token } = await apiToken(page);
  const headers = { authorization: `Bearer ${token}` };
  const api = `http://127.0.0.1:${E2E_PORT}/api/v1`;
  const list = (await (await fetch(`${api}/tasks?limit=100`, { headers })).json()) as {
    items: { id: string; title: string }[];
  };
  const task = list.items.find((item) => item.title === title);
  if (!task) throw new Error(`no task “${title}” on the server`);
  expect((await fetch(`${api}/tasks/${task.id}/history`, { headers })).status).toBe(200);
}

test('lists a task’s earlier versions in the editor and restores one', async ({ page }) => {
  const account = newAccount();
  await signUp(page, account);
  await quickAdd(page, 'Book the venue');
  await waitUntilSynced(page);
  await recordVersionOf(page, 'Book the venue');
  await taskRow(page, 'Book the venue')
    .getByRole('button', { name: 'Book the venue', exact: true })
    .click();
  const title = page.getByLabel('Title');
  await title.fill('Book the venue for June');
  await title.press('Tab');
  await waitUntilSynced(page);
  const history = page.getByRole('region', { name: 'History' });
  await history.getByRole('button', { name: 'History' }).click();
  await expect(history).toContainText('title: Book the venue → Book the venue for June');
  await expect(history).toContainText('by this device');
  await screenshot(page, 'task-history');
  await history.getByRole('button', { name: 'Restore version 1' }).click();
  await expect(history).toContainText('Restored version 1.');
  await expect(title).toHaveValue('Book the venue');
});

test('lists a task emptied from the trash under Recently deleted and restores it', async ({
  page,
}) => {
  const account = newAccount();
  await signUp(page, account);
  await quickAdd(page, 'Old receipts');
  await page.getByRole('button', { name: 'Delete Old receipts' }).click();
  await waitUntilSynced(page);

  // Another device empties the trash (as the app's start-up purge does after 30 days).
  const { token, userId } = await apiToken(page);
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`ws://127.0.0.1:${E2E_PORT}/sync`, userId, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params: { token },
    disableBc: true,
  });
  try {
    const tasks = doc.getMap<Y.Map<unknown>>('tasks');
    await expect
      .poll(() => [...tasks.values()].some((task) => task.get('title') === 'Old receipts'))
      .toBe(true);
    // The purge comes long after the task went to the trash, when its version is recorded (a
    // test moves faster than the server's three recordings a second): reading it records it.
    for (const [id, task] of tasks.entries()) {
      if (task.get('title') !== 'Old receipts') continue;
      const history = await fetch(`http://127.0.0.1:${E2E_PORT}/api/v1/tasks/${id}/history`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(history.status).toBe(200);
      tasks.delete(id);
    }
    await page.getByRole('link', { name: 'Trash' }).click();
    await expect(taskRow(page, 'Old receipts')).toHaveCount(0); // the purge reached this device
  } finally {
    provider.destroy();
  }

  // The trash points to where the history keeps it.
  await page.getByRole('link', { name: 'Recently deleted' }).click();
  const deleted = page.getByRole('region', { name: 'Recently deleted' });
  await expect(deleted.getByRole('list', { name: 'Recently deleted tasks' })).toContainText(
    'Old receipts',
  );
  await expect(page.getByRole('heading', { name: 'Recently deleted' })).toBeInViewport();
  await screenshot(page, 'recently-deleted');
  await deleted.getByRole('button', { name: 'Restore Old receipts' }).click();
  await expect(deleted).toContainText('Restored “Old receipts”.');
  await expect(deleted).toContainText('Nothing deleted beyond the trash.');
  await page.getByRole('link', { name: 'All tasks' }).click();
  await expect(taskRow(page, 'Old receipts')).toBeVisible();
});
