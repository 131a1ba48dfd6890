import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { errorBody } from '../http/http-error.js';
import { createMetricsRoute } from './metrics-routes.js';

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/**
 * The admin-only listener (METRICS_PORT on METRICS_HOST, 127.0.0.1 by default): /metrics and
 * nothing else, so it can be opened to a Prometheus server without opening the app. With
 * METRICS_TOKEN set the token is asked here too.
 */
export async function serveMetricsListener(options: {
  registry: Registry;
  host: string;
  port: number;
  token: string | null;
}): Promise<MetricsListener> {
  const app = new Hono();
  app.route(
    '/metrics',
    createMetricsRoute(
      options.registry,
      options.token ? { kind: 'token', token: options.token } : { kind: 'open' },
    ),
  );
  app.notFound((c) => c.json(errorBody('not_found', 'Only /metrics is served here.'), 404));
  const server: ServerType = await new Promise((resolve, reject) => {
    const started = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, () =>
      resolve(started),
    );
    started.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
