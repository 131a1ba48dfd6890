import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * For tests of deadlines: a calendar API stand-in on 127.0.0.1 that takes requests and never
 * answers them (after answering the first `refusals` with 503 and Retry-After: 20), and tells
 * which of its connections the client has closed.
 */
export interface SilentStandIn {
  url: string;
  /** Requests received, in order. */
  requests: IncomingMessage[];
  /** The server side of every connection, with whether it has closed. */
  sockets: { socket: Socket; closed: boolean }[];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that answers the first `refusals` requests 503, then never. */
export async function startSilentStandIn(refusals = 0): Promise<SilentStandIn> {
  const requests: IncomingMessage[] = [];
  const sockets: SilentStandIn['sockets'] = [];
  const server: Server = createServer((request, response) => {
    requests.push(request);
    request.resume();
    if (requests.length <= refusals) {
      response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '20' });
      response.end(JSON.stringify({ error: { code: 'ServiceUnavailable', message: 'later' } }));
    }
    // Otherwise: no answer, ever.
  });
  server.on('connection', (socket) => {
    const entry = { socket, closed: false };
    sockets.push(entry);
    socket.on('close', () => {
      entry.closed = true;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    sockets,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
