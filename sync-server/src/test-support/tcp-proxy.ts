import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a real service (PostgreSQL, Redis), for fault tests:
 * `cut()` resets every open connection and refuses new ones, as an outage or a network
 * partition does; `restore()` forwards again.
 */
export interface TcpProxy {
  port: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export interface TcpProxyOptions {
  /** Resets the connection instead of forwarding a chunk from the client for which it is true. */
  resetWhen?: (fromClient: Buffer) => boolean;
}

/** `listenPort`: where the proxy listens on 127.0.0.1 (default: any free port). */
export async function startTcpProxy(
  target: { host: string; port: number },
  listenPort = 0,
  options: TcpProxyOptions = {},
): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let down = false;
  const server: Server = createServer((client) => {
    if (down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection(target);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    const { resetWhen } = options;
    if (resetWhen) {
      client.on('data', (chunk: Buffer) => {
        if (!resetWhen(chunk)) {
          upstream.write(chunk);
          return;
        }
        client.resetAndDestroy();
        drop();
      });
    } else {
      client.pipe(upstream);
    }
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    cut() {
      down = true;
      for (const socket of open) socket.resetAndDestroy();
      open.clear();
    },
    restore() {
      down = false;
    },
    async close() {
      down = true;
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
