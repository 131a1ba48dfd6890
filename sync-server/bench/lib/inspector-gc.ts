import WebSocket from 'ws';

/** `process.memoryUsage()` of a process, in bytes. */
export interface MemoryUsage {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/**
 * Runs a full garbage collection in a Node process started with `--inspect=127.0.0.1:PORT`
 * (the inspector's HeapProfiler.collectGarbage, twice: weak references cleared by the first are
 * collected by the second), then reads its `process.memoryUsage()`. RSS read without this counts
 * whatever garbage the collector has not reached yet, which swings by tens of MiB between reads.
 */
export async function memoryAfterFullGc(inspectPort: number): Promise<MemoryUsage> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const target = targets[0];
  if (!target) throw new Error('the inspector lists no target');
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let nextId = 1;
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<{ result?: { result?: { value?: unknown } } }>((resolve, reject) => {
      const id = nextId++;
      const onMessage = (data: WebSocket.RawData) => {
        const message = JSON.parse(String(data)) as { id?: number; error?: { message: string } };
        if (message.id !== id) return;
        ws.off('message', onMessage);
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolve(message as { result?: { result?: { value?: unknown } } });
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const reply = await call('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    });
    const value = reply.result?.result?.value;
    if (typeof value !== 'string') throw new Error('process.memoryUsage() could not be read');
    return JSON.parse(value) as MemoryUsage;
  } finally {
    ws.close();
  }
}
