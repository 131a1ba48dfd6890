/**
 * Budget report (not a test): prints figures, fails on nothing but a broken setup.
 *
 *   1. Initial JS, gzipped: the entry chunk of the built PWA (`app/dist`) and everything it
 *      imports statically, each gzipped with zlib level 9 as a server would. Aim: < 200 KB.
 *   2. Time to interactive of a warm start (service worker cache + IndexedDB) with 10,000 tasks,
 *      offline (only the cache and IndexedDB serve the page) and online. Aim: < 1.5 s.
 *
 *   pnpm build                                   (at the repository root, first)
 *   cd e2e && node --import tsx scripts/budget.ts
 *
 * Optional environment: BUDGET_TASKS (10000), BUDGET_RUNS (5), BUDGET_PROFILE=1 (always profile
 * one offline start; by default only when the TTI aim is missed), BUDGET_TRACE_FILE (where to
 * save that start's Chromium trace).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, gzipSync } from 'node:zlib';
import { type Browser, type BrowserContext, chromium, type Page } from '@playwright/test';
import { buildSampleUser, UserDocs } from '@tasks/crdt';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import { newAccount, signUp, waitForServiceWorker, waitUntilSynced } from '../src/helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = path.join(ROOT, 'app/dist');
const SERVER_MAIN = path.join(ROOT, 'sync-server/dist/main.js');

const TASKS = Number(process.env.BUDGET_TASKS ?? 10_000);
const RUNS = Number(process.env.BUDGET_RUNS ?? 5);
const ALWAYS_PROFILE = process.env.BUDGET_PROFILE === '1';
const JS_AIM_KB = 200;
const TTI_AIM_MS = 1500;
/** Long tasks are also reported for this long after TTI. */
const AFTER_TTI_MS = 2000;
/** The whole report is abandoned (server and browser stopped) after this long. */
const OVERALL_TIMEOUT_MS = 10 * 60_000;

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

// ---------------------------------------------------------------------------------------------
// Printing.

type Align = 'left' | 'right';

function printTable(headers: string[], rows: string[][], align: Align[]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (text: string, i: number) =>
    align[i] === 'right' ? text.padStart(widths[i] ?? 0) : text.padEnd(widths[i] ?? 0);
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  console.log(line(headers));
  console.log(
    `|${widths.map((w, i) => (align[i] === 'right' ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`,
  );
  for (const row of rows) console.log(line(row));
}

const kb = (bytes: number) => (bytes / 1024).toFixed(1);
const ms = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(0));
const verdict = (ok: boolean) => (ok ? 'within the aim' : 'MISSES the aim');

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/** CPU count and load: other work on the machine slows every start. */
function machine(): string {
  const load = loadavg()
    .map((value) => value.toFixed(2))
    .join(' / ');
  return `${cpus().length} CPUs, load average ${load} (1 / 5 / 15 min)`;
}

async function within<T>(what: string, timeoutMs: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no result within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Initial JS.

type ChunkKind = 'initial' | 'lazy' | 'service worker';

interface Chunk {
  file: string;
  raw: number;
  gzip: number;
  kind: ChunkKind;
}

function attribute(tag: string, name: string): string | undefined {
  return new RegExp(`\\b${name}\\s*=\\s*["']([^"']*)["']`, 'i').exec(tag)?.[1];
}

/** `import … from "./x.js"`, `import "./x.js"`, `export … from "./x.js"`; never `import("./x.js")`. */
function staticImportsOf(source: string): string[] {
  const pattern =
    /(?:^|[\s;}])(?:import|export)\s*(?:[\w$*{][^'"`;()]*?\bfrom\s*)?["'](\.{1,2}\/[^"']+\.js)["']/g;
  return [...source.matchAll(pattern)].map((m) => m[1] as string);
}

function measureJs(): { chunks: Chunk[]; initialGzip: number; initialRaw: number; css: Chunk[] } {
  const html = readFileSync(path.join(DIST, 'index.html'), 'utf8');
  const roots: string[] = [];
  for (const tag of html.match(/<script\b[^>]*>/gi) ?? []) {
    const src = attribute(tag, 'src');
    if (attribute(tag, 'type') === 'module' && src) roots.push(src);
  }
  for (const tag of html.match(/<link\b[^>]*>/gi) ?? []) {
    const href = attribute(tag, 'href');
    if (attribute(tag, 'rel') === 'modulepreload' && href) roots.push(href);
  }
  if (roots.length === 0) throw new Error('app/dist/index.html has no module script');
  const toFile = (url: string) => path.join(DIST, url.replace(/^\//, ''));

  const initial = new Set<string>();
  const queue = roots.map(toFile);
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (initial.has(file)) continue;
    if (!existsSync(file)) throw new Error(`index.html or a chunk refers to a missing ${file}`);
    initial.add(file);
    for (const spec of staticImportsOf(readFileSync(file, 'utf8'))) {
      queue.push(path.resolve(path.dirname(file), spec));
    }
  }

  const sizes = (file: string, kind: ChunkKind): Chunk => {
    const bytes = readFileSync(file);
    return {
      file: path.relative(DIST, file),
      raw: bytes.length,
      gzip: gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }).length,
      kind,
    };
  };
  const assets = path.join(DIST, 'assets');
  const chunks: Chunk[] = [];
  for (const name of readdirSync(assets).sort()) {
    if (!name.endsWith('.js')) continue;
    const file = path.join(assets, name);
    chunks.push(sizes(file, initial.has(file) ? 'initial' : 'lazy'));
  }
  for (const name of readdirSync(DIST).sort()) {
    if (/^(sw|workbox-[\w-]+)\.js$/.test(name)) {
      chunks.push(sizes(path.join(DIST, name), 'service worker'));
    }
  }
  const order: ChunkKind[] = ['initial', 'lazy', 'service worker'];
  chunks.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || b.gzip - a.gzip);
  const css = readdirSync(assets)
    .filter((name) => name.endsWith('.css'))
    .map((name) => sizes(path.join(assets, name), 'initial'));
  const initialChunks = chunks.filter((c) => c.kind === 'initial');
  return {
    chunks,
    css,
    initialGzip: initialChunks.reduce((sum, c) => sum + c.gzip, 0),
    initialRaw: initialChunks.reduce((sum, c) => sum + c.raw, 0),
  };
}

function reportJs(): void {
  const { chunks, css, initialGzip, initialRaw } = measureJs();
  console.log('## 1. Initial JS (app/dist, gzip level 9)\n');
  printTable(
    ['file', 'raw KB', 'gzip KB', 'loaded'],
    chunks.map((c) => [c.file, kb(c.raw), kb(c.gzip), c.kind]),
    ['left', 'right', 'right', 'left'],
  );
  const lazy = chunks.filter((c) => c.kind === 'lazy');
  console.log(
    `\nInitial JS: ${kb(initialGzip)} KB gzipped (${kb(initialRaw)} KB raw) in ${chunks.length - lazy.length - chunks.filter((c) => c.kind === 'service worker').length} files` +
      ` — aim < ${JS_AIM_KB} KB: ${verdict(initialGzip < JS_AIM_KB * 1024)}.`,
  );
  console.log(
    `Lazy JS (dynamic import(), not initial): ${kb(lazy.reduce((s, c) => s + c.gzip, 0))} KB gzipped in ${lazy.length} files.`,
  );
  for (const sheet of css) {
    console.log(
      `CSS (not counted): ${sheet.file} ${kb(sheet.raw)} KB raw, ${kb(sheet.gzip)} KB gzipped.`,
    );
  }
  console.log('');
}

// ---------------------------------------------------------------------------------------------
// 2. The server.

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** What the server wrote (LOG_LEVEL=warn: warnings and errors), shown after the figures. */
const serverLog: string[] = [];

async function startServer(port: number, dataDir: string): Promise<ChildProcess> {
  // One process: CI's REDIS_URL (for the cluster tests) is not this server's.
  const { DATABASE_URL: _ignored, REDIS_URL: _redis, ...inherited } = process.env;
  const server = spawn(process.execPath, [SERVER_MAIN], {
    env: {
      ...inherited,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      AUTH_REGISTER_PER_MINUTE: '1000',
      REGISTRATION: 'open',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) serverLog.push(line);
  };
  server.stdout?.on('data', collect);
  server.stderr?.on('data', collect);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) {
      throw new Error(`the server exited with ${server.exitCode}:\n${serverLog.join('\n')}`);
    }
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the server did not start within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.pid === undefined) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  process.kill(server.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (server.exitCode === null && server.pid !== undefined) process.kill(server.pid, 'SIGKILL');
  }, 10_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// 10,000 realistic tasks, written by the crdt in Node and delivered through the relay.

const DAY = 86_400_000;

/** Connects a stock y-websocket provider as the user and builds crdt's sample user through it. */
async function seedTasks(wsUrl: string, userId: string, token: string): Promise<number> {
  const docs = new UserDocs(userId);
  const provider = new WebsocketProvider(wsUrl, userId, docs.main, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params: { token },
    disableBc: true,
  });
  try {
    await within(
      'the seeding provider’s first sync',
      20_000,
      new Promise<void>((resolve) => {
        if (provider.synced) resolve();
        else provider.once('sync', () => resolve());
      }),
    );
    let bytes = 0;
    const onUpdate = (update: Uint8Array) => {
      bytes += update.length;
    };
    docs.main.on('update', onUpdate);
    // Each batch of 500 tasks is one update, one relay frame: a single update of 10,000 tasks
    // would exceed the relay's 1 MiB frame limit. Top-level tasks only and no trash, so the All
    // view counts every one of them.
    const now = Date.now();
    buildSampleUser({
      userId,
      docs,
      tasks: TASKS,
      entries: 0,
      start: now - 400 * DAY,
      end: now,
      subtasks: false,
      trash: false,
    });
    docs.main.off('update', onUpdate);
    return bytes;
  } finally {
    provider.destroy();
    // The awareness' timer lives until its document is destroyed.
    docs.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// In-page instrumentation of a start (added before any of the app's scripts run).

interface BudgetMarks {
  /** First element rendered into #root (the app's first render). */
  firstRender?: number;
  /** The main document's stored updates read from IndexedDB. */
  idbReadStart?: number;
  idbReadEnd?: number;
  idbUpdates?: number;
  idbBytes?: number;
  /** A task row, the badge with every task and the quick-add input are in the DOM. */
  shown?: number;
  /** The first task run after the frame that shows them: the main thread takes input. */
  interactive?: number;
  longTasks: { start: number; duration: number }[];
}

interface PageTimings {
  marks: BudgetMarks;
  fcp: number | undefined;
  navigation: { workerStart: number; responseEnd: number; domContentLoaded: number } | undefined;
  /** performance.now() when Playwright saw the first row and the badge. */
  seenByPlaywright: number;
  /** Sync status shown when interactive. */
  status: string;
  /** The quick-add input took typed text. */
  typed: boolean;
}

interface Sockets {
  opened: number;
  closed: number;
  largestSent: number;
  sent: number;
}

declare global {
  interface Window {
    __budget?: BudgetMarks;
  }
}

/** Runs in the page: serialized by Playwright, so it must not close over anything. */
function instrument(args: { mainDb: string; badge: string }): void {
  const marks: BudgetMarks = { longTasks: [] };
  window.__budget = marks;
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        marks.longTasks.push({ start: entry.startTime, duration: entry.duration });
      }
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // no long task timing in this browser
  }

  const getAll = IDBObjectStore.prototype.getAll;
  IDBObjectStore.prototype.getAll = function (
    this: IDBObjectStore,
    query?: IDBValidKey | IDBKeyRange | null,
    count?: number,
  ) {
    const request = getAll.call(this, query, count);
    if (
      marks.idbReadStart === undefined &&
      this.name === 'updates' &&
      this.transaction.db.name === args.mainDb
    ) {
      marks.idbReadStart = performance.now();
      request.addEventListener('success', () => {
        marks.idbReadEnd = performance.now();
        const rows = request.result as ArrayBufferView[];
        marks.idbUpdates = rows.length;
        marks.idbBytes = rows.reduce((sum, row) => sum + row.byteLength, 0);
      });
    }
    return request;
  };

  const check = () => {
    if (marks.firstRender === undefined && document.getElementById('root')?.firstElementChild) {
      marks.firstRender = performance.now();
    }
    if (marks.shown !== undefined) return;
    const row = document.querySelector('.task-list li.task-row');
    const badge = Array.from(document.querySelectorAll('.view-header .badge')).some(
      (node) => node.textContent === args.badge,
    );
    const input = document.getElementById('quick-add');
    if (!row || !badge || !(input instanceof HTMLInputElement) || input.disabled) return;
    marks.shown = performance.now();
    observer.disconnect();
    // The row is painted in the frame after this; the first task after that frame is the first
    // moment the main thread can handle a key press.
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        marks.interactive = performance.now();
      };
      channel.port2.postMessage(null);
    });
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { childList: true, subtree: true, characterData: true });
}

async function readTimings(
  page: Page,
  typedText: string,
): Promise<Omit<PageTimings, 'seenByPlaywright'>> {
  const input = page.getByLabel('Add a task');
  await input.pressSequentially(typedText);
  const typed = (await input.inputValue()) === typedText;
  await input.fill('');
  const status =
    (await page.getByRole('status', { name: /^Sync status:/ }).getAttribute('aria-label')) ?? '';
  const inPage = await page.evaluate(() => {
    const paint = performance.getEntriesByName('first-contentful-paint')[0];
    const nav = performance.getEntriesByType('navigation')[0] as
      | PerformanceNavigationTiming
      | undefined;
    return {
      marks: window.__budget ?? { longTasks: [] },
      fcp: paint?.startTime,
      navigation: nav
        ? {
            workerStart: nav.workerStart,
            responseEnd: nav.responseEnd,
            domContentLoaded: nav.domContentLoadedEventEnd,
          }
        : undefined,
    };
  });
  return { ...inPage, status: status.replace(/^Sync status: /, ''), typed };
}

// ---------------------------------------------------------------------------------------------
// One warm start.

interface Start {
  timings: PageTimings;
  tti: number;
  /** The page's websockets up to the moment the figures were read. */
  sockets: Sockets;
}

async function warmStart(
  context: BrowserContext,
  mainDb: string,
  online: boolean,
  hooks: { beforeNavigation?(page: Page): Promise<void>; beforeClose?(): Promise<void> } = {},
): Promise<Start> {
  await context.setOffline(!online);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  const sockets: Sockets = { opened: 0, closed: 0, largestSent: 0, sent: 0 };
  page.on('websocket', (socket) => {
    sockets.opened += 1;
    socket.on('framesent', ({ payload }) => {
      const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
      sockets.sent += size;
      sockets.largestSent = Math.max(sockets.largestSent, size);
    });
    socket.on('close', () => {
      sockets.closed += 1;
    });
  });
  try {
    // A local `__name`: tsx (esbuild keepNames) wraps named functions in it, the page has none.
    const args = JSON.stringify({ mainDb, badge: `${TASKS} tasks` });
    await page.addInitScript({
      content: `(() => { const __name = (f) => f; (${instrument.toString()})(${args}); })();`,
    });
    await hooks.beforeNavigation?.(page);
    await page.goto('/#/all', { waitUntil: 'commit', timeout: 30_000 });
    await page.waitForFunction(() => window.__budget?.interactive !== undefined, undefined, {
      timeout: 60_000,
      polling: 20,
    });
    await page.locator('.task-list li.task-row').first().waitFor({ state: 'visible' });
    await page.getByText(`${TASKS} tasks`, { exact: true }).waitFor({ state: 'visible' });
    const seenByPlaywright = await page.evaluate(() => performance.now());
    // Long tasks right after TTI (reported apart): what a user typing at once would meet.
    await page.waitForFunction(
      (span) => performance.now() > (window.__budget?.interactive ?? 0) + span,
      AFTER_TTI_MS,
      { timeout: 30_000, polling: 100 },
    );
    const timings: PageTimings = { ...(await readTimings(page, 'budget')), seenByPlaywright };
    const tti = timings.marks.interactive;
    if (tti === undefined) throw new Error('the page never became interactive');
    if (!timings.typed) throw new Error('the quick-add input did not take typed text');
    if (!online && timings.status !== 'Offline') {
      throw new Error(`offline start shows sync status “${timings.status}”`);
    }
    return { timings, tti, sockets: { ...sockets } };
  } catch (error) {
    if (problems.length > 0) console.error(problems.join('\n'));
    throw error;
  } finally {
    await hooks.beforeClose?.();
    await page.close();
  }
}

function reportStarts(title: string, starts: Start[]): { p50: number; max: number } {
  console.log(`### ${title}\n`);
  const withSockets = starts.some((s) => s.sockets.opened > 0);
  const headers = [
    'run',
    'HTML from SW',
    'FCP',
    'first render',
    'IDB read',
    'list shown',
    'TTI',
    'Playwright saw',
    'long tasks to TTI (n: sum / max)',
    `long tasks ${AFTER_TTI_MS / 1000} s after (n: sum / max)`,
    'status',
  ];
  if (withSockets) headers.push('websockets (opened / closed / largest frame sent)');
  printTable(
    headers,
    starts.map((s, i) => {
      const m = s.timings.marks;
      const summary = (tasks: { duration: number }[]) =>
        `${tasks.length}: ${ms(tasks.reduce((total, t) => total + t.duration, 0))} / ${ms(Math.max(0, ...tasks.map((t) => t.duration)))}`;
      const before = m.longTasks.filter((t) => t.start < s.tti);
      const after = m.longTasks.filter((t) => t.start >= s.tti && t.start < s.tti + AFTER_TTI_MS);
      const row = [
        String(i + 1),
        ms(s.timings.navigation?.responseEnd),
        ms(s.timings.fcp),
        ms(m.firstRender),
        m.idbReadStart === undefined ? '—' : `${ms(m.idbReadStart)}–${ms(m.idbReadEnd)}`,
        ms(m.shown),
        ms(s.tti),
        ms(s.timings.seenByPlaywright),
        summary(before),
        summary(after),
        s.timings.status,
      ];
      if (withSockets) {
        row.push(`${s.sockets.opened} / ${s.sockets.closed} / ${kb(s.sockets.largestSent)} KB`);
      }
      return row;
    }),
    headers.map((_, i) => (i >= 10 ? 'left' : 'right')),
  );
  const ttis = starts.map((s) => s.tti);
  const p50 = percentile(ttis, 50);
  const max = Math.max(...ttis);
  const fcps = starts.flatMap((s) => (s.timings.fcp === undefined ? [] : [s.timings.fcp]));
  console.log(
    `\nTTI p50 ${ms(p50)} ms, max ${ms(max)} ms — aim < ${TTI_AIM_MS} ms: p50 ${verdict(p50 < TTI_AIM_MS)}, max ${verdict(max < TTI_AIM_MS)}.` +
      (fcps.length > 0 ? ` FCP p50 ${ms(percentile(fcps, 50))} ms.` : ''),
  );
  const first = starts[0]?.timings.marks;
  if (first?.idbUpdates !== undefined && first.idbBytes !== undefined) {
    console.log(
      `IndexedDB read: ${first.idbUpdates} stored updates, ${kb(first.idbBytes)} KB (run 1).`,
    );
  }
  console.log('');
  return { p50, max };
}

// ---------------------------------------------------------------------------------------------
// Profile of one start: a Chromium trace with the V8 sampling profiler.

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  id?: string;
  args?: {
    data?: {
      cpuProfile?: {
        nodes?: {
          id: number;
          parent?: number;
          callFrame: {
            functionName: string;
            url?: string;
            lineNumber?: number;
            columnNumber?: number;
          };
        }[];
        samples?: number[];
      };
      timeDeltas?: number[];
      startTime?: number;
      url?: string;
      documentLoaderURL?: string;
    };
  };
}

interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
  parent: number | undefined;
}

// Source maps. app/dist has none, so the profile is symbolized through a second build of the same
// sources with --sourcemap into a temporary directory, used only where its chunks are
// byte-identical to app/dist's (then every position maps one to one).

/** [generated column, source, original line, original column, name?] */
type Segment = [number, number, number, number, number?];

interface SourceMapData {
  sources: string[];
  names: string[];
  lines: Segment[][];
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let source = 0;
  let line = 0;
  let column = 0;
  let name = 0;
  for (const text of mappings.split(';')) {
    const segments: Segment[] = [];
    let generated = 0;
    for (const field of text.split(',')) {
      if (!field) continue;
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const char of field) {
        const digit = BASE64.indexOf(char);
        value += (digit & 31) * 2 ** shift;
        if (digit & 32) {
          shift += 5;
        } else {
          values.push(value % 2 === 1 ? -Math.floor(value / 2) : value / 2);
          value = 0;
          shift = 0;
        }
      }
      generated += values[0] ?? 0;
      if (values.length < 4) continue;
      source += values[1] ?? 0;
      line += values[2] ?? 0;
      column += values[3] ?? 0;
      if (values.length >= 5) {
        name += values[4] ?? 0;
        segments.push([generated, source, line, column, name]);
      } else {
        segments.push([generated, source, line, column]);
      }
    }
    lines.push(segments);
  }
  return lines;
}

/** Builds the app again with source maps; the maps of the chunks identical to app/dist's. */
async function sourceMaps(tempDir: string): Promise<Map<string, SourceMapData>> {
  const maps = new Map<string, SourceMapData>();
  const vite = path.join(ROOT, 'app/node_modules/.bin/vite');
  if (!existsSync(vite)) return maps;
  const build = spawn(
    vite,
    ['build', '--outDir', tempDir, '--emptyOutDir', '--sourcemap', '--logLevel', 'error'],
    { cwd: path.join(ROOT, 'app'), stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const code = await within(
    'the source-mapped build',
    180_000,
    new Promise<number | null>((resolve) => build.once('exit', resolve)),
  ).catch(() => {
    if (build.pid !== undefined && build.exitCode === null) process.kill(build.pid, 'SIGKILL');
    return null;
  });
  if (code !== 0) return maps;
  const assets = path.join(DIST, 'assets');
  for (const name of readdirSync(assets)) {
    const mapped = path.join(tempDir, 'assets', name);
    if (!name.endsWith('.js') || !existsSync(mapped) || !existsSync(`${mapped}.map`)) continue;
    const code = readFileSync(mapped, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '');
    if (code !== readFileSync(path.join(assets, name), 'utf8')) continue;
    const raw = JSON.parse(readFileSync(`${mapped}.map`, 'utf8')) as {
      sources: string[];
      names: string[];
      mappings: string;
    };
    maps.set(name, {
      sources: raw.sources.map((source) => {
        const file = path.relative(ROOT, path.resolve(tempDir, 'assets', source));
        // node_modules/.pnpm/<name@version>/node_modules/<package>/… → <package>/…
        return file.replace(/^(?:.*\/)?node_modules\/\.pnpm\/[^/]+\/node_modules\//, '');
      }),
      names: raw.names,
      lines: decodeMappings(raw.mappings),
    });
  }
  return maps;
}

interface Origin {
  /** Function or call at the position, file and line. */
  label: string;
  /** The package (dependencies) or the file (this repository's code). */
  owner: string;
}

function originOf(frame: Frame, maps: Map<string, SourceMapData>): Origin {
  const file = frame.url ? path.basename(frame.url.split(/[?#]/)[0] ?? '') : '';
  const name = frame.functionName || '(anonymous)';
  if (!file) return { label: name, owner: name };
  const map = maps.get(file);
  const segments = map?.lines[frame.lineNumber] ?? [];
  let found: Segment | undefined;
  for (const segment of segments) {
    if (segment[0] > frame.columnNumber) break;
    found = segment;
  }
  if (!map || !found) {
    // No map: the minified code at the position, so the frame can still be recognised.
    const text = readFileSync(path.join(DIST, 'assets', file), 'utf8').split('\n')[
      frame.lineNumber
    ];
    const code = (text ?? '')
      .slice(frame.columnNumber, frame.columnNumber + 50)
      .replace(/\s+/g, ' ');
    return {
      label: `${name} ${file}:${frame.lineNumber + 1}:${frame.columnNumber + 1} «${code}»`,
      owner: file,
    };
  }
  const source = map.sources[found[1]] ?? '?';
  const original = found[4] === undefined ? undefined : map.names[found[4]];
  const owner = /^(app|crdt|connectors|sync-server)\//.test(source)
    ? source
    : source
        .split('/')
        .slice(0, source.startsWith('@') ? 2 : 1)
        .join('/');
  return {
    label: `${original || frame.functionName || '(anonymous)'} ${source}:${found[2] + 1}`,
    owner,
  };
}

const MAIN_THREAD_EVENTS = new Set([
  'v8.compileModule',
  'v8.evaluateModule',
  'FunctionCall',
  'RunMicrotasks',
  'MajorGC',
  'MinorGC',
  'ParseHTML',
  'UpdateLayoutTree',
  'Layout',
  'PrePaint',
  'Paint',
  'Layerize',
  'TimerFire',
  'FireAnimationFrame',
  'EventDispatch',
]);

/**
 * Where the renderer's main thread spent navigation start → TTI: trace events by kind, then the
 * V8 sampling profile: self time by package or file, and inclusive time per function.
 */
function summarizeTrace(buffer: Buffer, ttiMs: number, maps: Map<string, SourceMapData>): void {
  const { traceEvents } = JSON.parse(buffer.toString('utf8')) as { traceEvents: TraceEvent[] };
  const entry = traceEvents.find(
    (e) =>
      e.name === 'v8.compileModule' && /\/assets\/index-[^/]+\.js$/.test(e.args?.data?.url ?? ''),
  );
  if (!entry) {
    console.log('(the trace holds no compilation of the entry chunk)');
    return;
  }
  const navigation = traceEvents.find(
    (e) =>
      e.name === 'navigationStart' &&
      e.pid === entry.pid &&
      (e.args?.data?.documentLoaderURL ?? '').includes('/#/all'),
  );
  const from = navigation?.ts ?? entry.ts;
  const to = from + ttiMs * 1000;

  const byKind = new Map<string, number>();
  for (const e of traceEvents) {
    if (e.pid !== entry.pid || e.tid !== entry.tid || e.ph !== 'X' || e.dur === undefined) continue;
    if (e.ts < from || e.ts > to || !MAIN_THREAD_EVENTS.has(e.name)) continue;
    byKind.set(e.name, (byKind.get(e.name) ?? 0) + e.dur / 1000);
  }
  console.log(
    'Renderer main thread, navigation start → TTI, by trace event (inclusive; nested events overlap):\n',
  );
  printTable(
    ['event', 'ms'],
    [...byKind.entries()]
      .sort((x, y) => y[1] - x[1])
      .map(([name, total]) => [name, total.toFixed(1)]),
    ['left', 'right'],
  );

  // V8 samples: each chunk continues its profile's clock (µs, the trace's clock).
  const clock = new Map<string, number>();
  for (const e of traceEvents) {
    if (e.name === 'Profile' && e.pid === entry.pid && e.id !== undefined) {
      clock.set(e.id, e.args?.data?.startTime ?? e.ts);
    }
  }
  const frames = new Map<number, Frame>();
  const selfMs = new Map<number, number>();
  let sampled = 0;
  for (const e of traceEvents) {
    if (e.name !== 'ProfileChunk' || e.pid !== entry.pid || e.id === undefined) continue;
    const profile = e.args?.data?.cpuProfile;
    for (const node of profile?.nodes ?? []) {
      frames.set(node.id, {
        functionName: node.callFrame.functionName,
        url: node.callFrame.url ?? '',
        lineNumber: node.callFrame.lineNumber ?? 0,
        columnNumber: node.callFrame.columnNumber ?? 0,
        parent: node.parent,
      });
    }
    const samples = profile?.samples ?? [];
    const deltas = e.args?.data?.timeDeltas ?? [];
    let time = clock.get(e.id) ?? e.ts;
    for (let i = 0; i < samples.length; i += 1) {
      time += deltas[i] ?? 0;
      // A sample stands for the time until the next one.
      const span = (deltas[i + 1] ?? 0) / 1000;
      if (time < from || time > to) continue;
      const id = samples[i] as number;
      selfMs.set(id, (selfMs.get(id) ?? 0) + span);
      sampled += span;
    }
    clock.set(e.id, time);
  }
  if (selfMs.size === 0) {
    console.log('\n(the trace holds no CPU samples of the renderer)');
    return;
  }
  const origins = new Map<number, Origin>();
  const originOfId = (id: number, frame: Frame) => {
    let origin = origins.get(id);
    if (!origin) {
      origin = originOf(frame, maps);
      origins.set(id, origin);
    }
    return origin;
  };
  const byOwner = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, time] of selfMs) {
    const frame = frames.get(id);
    if (!frame) continue;
    const owner = originOfId(id, frame).owner;
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + time);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; ) {
      const current = frames.get(at);
      if (!current) break;
      const label = originOfId(at, current).label;
      if (!seen.has(label)) {
        seen.add(label);
        inclusive.set(label, (inclusive.get(label) ?? 0) + time);
      }
      at = current.parent;
    }
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .filter(([name]) => !/^\((root|idle)\)/.test(name))
      .sort((x, y) => y[1] - x[1])
      .slice(0, n)
      .map(([name, time]) => [
        time.toFixed(1),
        name.length > 110 ? `${name.slice(0, 109)}…` : name,
      ]);
  const mapped = maps.size > 0 ? 'symbolized through a source-mapped rebuild' : 'minified';
  console.log(
    `\nV8 samples of the renderer, navigation start → TTI: ${sampled.toFixed(0)} ms (${mapped}). Self time by package or file:\n`,
  );
  printTable(['ms', 'package or file'], top(byOwner, 15), ['right', 'left']);
  console.log('\nInclusive time (a function and everything it called):\n');
  printTable(['ms', 'function'], top(inclusive, 30), ['right', 'left']);
  const ours = new Map(
    [...inclusive].filter(([label]) => /\s(app|crdt)\/src\/\S+:\d+$/.test(label)),
  );
  if (ours.size > 0) {
    console.log("\nInclusive time, this repository's code only (app/src, crdt/src):\n");
    printTable(['ms', 'function'], top(ours, 25), ['right', 'left']);
  }
  console.log('');
}

async function profileStart(
  browser: Browser,
  context: BrowserContext,
  mainDb: string,
): Promise<void> {
  console.log('## Profile of one offline warm start\n');
  let tracing = false;
  let trace: Buffer | undefined;
  const start = await warmStart(context, mainDb, false, {
    async beforeNavigation(page) {
      await browser.startTracing(page, {
        categories: [
          'devtools.timeline',
          'disabled-by-default-devtools.timeline',
          'v8.execute',
          'v8',
          'blink.user_timing',
          'loading',
          'disabled-by-default-v8.cpu_profiler',
        ],
      });
      tracing = true;
    },
    async beforeClose() {
      if (!tracing) return;
      tracing = false;
      trace = await browser.stopTracing();
    },
  });
  console.log(`Traced start: TTI ${ms(start.tti)} ms (tracing slows the page).\n`);
  if (!trace) return;
  if (process.env.BUDGET_TRACE_FILE) {
    writeFileSync(process.env.BUDGET_TRACE_FILE, trace);
    console.log(
      `Trace written to ${process.env.BUDGET_TRACE_FILE} (Perfetto, chrome://tracing).\n`,
    );
  }
  const mapDir = await mkdtemp(path.join(tmpdir(), 'tasks-budget-map-'));
  try {
    summarizeTrace(trace, start.tti, await sourceMaps(mapDir));
  } finally {
    rmSync(mapDir, { recursive: true, force: true });
  }
}

function reportServerLog(): void {
  console.log(`## Server log (LOG_LEVEL=warn): ${serverLog.length} lines\n`);
  const counts = new Map<string, number>();
  for (const line of serverLog) {
    let key = line;
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string; error?: string };
      key = `${entry.level ?? '?'}: ${entry.msg ?? ''}${entry.error ? ` — ${entry.error}` : ''}`;
    } catch {
      // not JSON: the line itself
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (const [key, count] of counts) console.log(`${String(count).padStart(4)} × ${key}`);
  console.log('');
}

// ---------------------------------------------------------------------------------------------

async function reportTti(): Promise<void> {
  if (!existsSync(SERVER_MAIN)) throw new Error('build first: `pnpm build` at the repository root');
  console.log(`## 2. Time to interactive, warm start with ${TASKS} tasks in IndexedDB\n`);
  console.log(`Machine: ${machine()}.`);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tasks-budget-'));
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  const watchdog = setTimeout(() => {
    console.error(`budget: gave up after ${OVERALL_TIMEOUT_MS / 1000} s`);
    if (server?.pid !== undefined && server.exitCode === null) process.kill(server.pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(2);
  }, OVERALL_TIMEOUT_MS);
  try {
    const port = await freePort();
    const baseURL = `http://127.0.0.1:${port}`;
    server = await startServer(port, dataDir);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
      timeout: 60_000,
    });
    const context = await browser.newContext({ baseURL, serviceWorkers: 'allow' });
    context.setDefaultTimeout(30_000);

    // A user, signed up through the UI, with the service worker in control.
    const setup = await context.newPage();
    await signUp(setup, newAccount());
    await waitForServiceWorker(setup);
    const session = await setup.evaluate(
      () =>
        JSON.parse(localStorage.getItem('tasks.session') ?? '{}') as {
          userId?: string;
          accessToken?: string;
        },
    );
    if (!session.userId || !session.accessToken) throw new Error('no session after sign-up');
    const mainDb = `tasks:${session.userId}`;
    await setup.goto('/#/all');

    const seeded = Date.now();
    const bytes = await within(
      'seeding',
      120_000,
      seedTasks(`ws://127.0.0.1:${port}/sync`, session.userId, session.accessToken),
    );
    await setup.getByText(`${TASKS} tasks`, { exact: true }).waitFor({ timeout: 120_000 });
    await waitUntilSynced(setup);
    const stored = await setup.evaluate(
      (name) =>
        new Promise<{ updates: number; bytes: number }>((resolve, reject) => {
          const open = indexedDB.open(name);
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const db = open.result;
            const request = db.transaction('updates', 'readonly').objectStore('updates').getAll();
            request.onerror = () => reject(request.error);
            request.onsuccess = () => {
              const rows = request.result as ArrayBufferView[];
              db.close();
              resolve({ updates: rows.length, bytes: rows.reduce((s, r) => s + r.byteLength, 0) });
            };
          };
        }),
      mainDb,
    );
    console.log(
      `Seeded ${TASKS} tasks (${kb(bytes)} KB of Yjs updates, written in Node and relayed) in ${((Date.now() - seeded) / 1000).toFixed(1)} s;` +
        ` the page shows “${TASKS} tasks”, up to date; IndexedDB ${mainDb}: ${stored.updates} updates, ${kb(stored.bytes)} KB.`,
    );
    await setup.close();
    console.log(
      `Each start: a new page in the same context (warm SW cache + IndexedDB), navigation to /#/all;` +
        ` TTI = first task run after the frame in which a task row, “${TASKS} tasks” and the quick-add input are in the DOM` +
        ` (ms from navigation start; the quick-add input then takes typed text). Headless ${browser.version()}.\n`,
    );

    const warmup = await warmStart(context, mainDb, false);
    console.log(`Warm-up start (offline, not counted): TTI ${ms(warmup.tti)} ms.\n`);
    const offline: Start[] = [];
    for (let i = 0; i < RUNS; i += 1) offline.push(await warmStart(context, mainDb, false));
    const off = reportStarts(`Offline (context.setOffline(true)), ${RUNS} runs, ms`, offline);
    const online: Start[] = [];
    for (let i = 0; i < RUNS; i += 1) online.push(await warmStart(context, mainDb, true));
    const on = reportStarts(`Online, ${RUNS} runs, ms`, online);

    console.log(`## Summary (machine now: ${machine()})\n`);
    const js = measureJs();
    printTable(
      ['budget', 'measured', 'aim', 'verdict'],
      [
        [
          'initial JS, gzipped',
          `${kb(js.initialGzip)} KB`,
          `< ${JS_AIM_KB} KB`,
          verdict(js.initialGzip < JS_AIM_KB * 1024),
        ],
        [
          'TTI offline p50',
          `${ms(off.p50)} ms`,
          `< ${TTI_AIM_MS} ms`,
          verdict(off.p50 < TTI_AIM_MS),
        ],
        [
          'TTI offline max',
          `${ms(off.max)} ms`,
          `< ${TTI_AIM_MS} ms`,
          verdict(off.max < TTI_AIM_MS),
        ],
        ['TTI online p50', `${ms(on.p50)} ms`, `< ${TTI_AIM_MS} ms`, verdict(on.p50 < TTI_AIM_MS)],
        ['TTI online max', `${ms(on.max)} ms`, `< ${TTI_AIM_MS} ms`, verdict(on.max < TTI_AIM_MS)],
      ],
      ['left', 'right', 'right', 'left'],
    );
    console.log('');

    if (ALWAYS_PROFILE || off.p50 >= TTI_AIM_MS || on.p50 >= TTI_AIM_MS) {
      await profileStart(browser, context, mainDb);
    }
    await context.close();
    reportServerLog();
  } finally {
    clearTimeout(watchdog);
    await browser?.close().catch(() => {});
    if (server) await stopServer(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

reportJs();
await reportTti();
