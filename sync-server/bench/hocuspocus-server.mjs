// Reference server for relay.bench.ts: Hocuspocus 4 with its SQLite database extension, run by
// the bench as a child process with an IPC channel. Packages come from ./.references (installed
// by the bench). It answers the message 'stats' with what it stored, for "updates persisted".
import { createRequire } from 'node:module';

const require = createRequire(new URL('./.references/package.json', import.meta.url));
const { Server } = require('@hocuspocus/server');
const { SQLite } = require('@hocuspocus/extension-sqlite');

const port = Number(process.env.PORT);
const file = process.env.SQLITE_FILE;
if (!port || !file) {
  console.error('PORT and SQLITE_FILE are required');
  process.exit(2);
}

/** Client updates received, per document. */
const changes = new Map();
/** Client updates a running store covers (counted when the store began), per document. */
const storing = new Map();
/** Client updates covered by a completed store, per document. */
const persisted = new Map();
let stores = 0;
let storeErrors = 0;
let storeMsMax = 0;
const storeStarted = new Map();

// Higher priority than the database extension: its onStoreDocument runs first, so the count
// taken there covers at most what the store that follows writes.
const accounting = {
  priority: 1000,
  async onChange({ documentName, connection }) {
    if (connection) changes.set(documentName, (changes.get(documentName) ?? 0) + 1);
  },
  async onStoreDocument({ documentName }) {
    storing.set(documentName, changes.get(documentName) ?? 0);
    storeStarted.set(documentName, performance.now());
  },
  async afterStoreDocument({ documentName }) {
    persisted.set(documentName, storing.get(documentName) ?? 0);
    stores += 1;
    const started = storeStarted.get(documentName);
    if (started !== undefined) storeMsMax = Math.max(storeMsMax, performance.now() - started);
  },
};

const sum = (map) => {
  let total = 0;
  for (const value of map.values()) total += value;
  return total;
};

const sqlite = new SQLite({ database: file });
const store = sqlite.onStoreDocument.bind(sqlite);
sqlite.onStoreDocument = async (data) => {
  try {
    await store(data);
  } catch (error) {
    storeErrors += 1;
    throw error;
  }
};

const server = new Server({
  port,
  address: '127.0.0.1',
  quiet: true,
  extensions: [accounting, sqlite],
});

process.on('message', (message) => {
  if (message !== 'stats' || !process.send) return;
  process.send({
    type: 'stats',
    changes: sum(changes),
    persisted: sum(persisted),
    stores,
    storeErrors,
    storeMsMax,
  });
});
process.on('disconnect', () => {
  // The bench went away without stopping us.
  server.destroy().finally(() => process.exit(0));
});

await server.listen();
