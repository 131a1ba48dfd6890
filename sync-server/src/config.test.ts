import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('configuration', () => {
  it('uses the documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: null,
      authSecret: null,
      maxFrameBytes: 1024 * 1024,
      corsOrigins: [],
    });
    expect(config.dataDir.endsWith('/data')).toBe(true);
  });

  it('treats empty variables as unset and splits the CORS list', () => {
    const config = loadConfig({ PORT: '', CORS_ORIGINS: 'https://a.example, https://b.example' });
    expect(config.port).toBe(8080);
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  it('names every bad variable and why, and refuses to start', () => {
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        AUTH_SECRET: 'short',
        LOG_LEVEL: 'loud',
      });
      expect.unreachable('the configuration is invalid');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^PORT: /m);
      expect(problems).toMatch(/^DATABASE_URL: must be a postgres:\/\/ URL/m);
      expect(problems).toMatch(/^AUTH_SECRET: must be at least 32 characters/m);
      expect(problems).toMatch(/^LOG_LEVEL: /m);
    }
  });

  it('closes registration after the first account unless REGISTRATION says open or invite', () => {
    expect(loadConfig({}).registration).toBe('closed');
    expect(loadConfig({ REGISTRATION: 'invite' }).registration).toBe('invite');
    expect(() => loadConfig({ REGISTRATION: 'anyone' })).toThrow(
      /REGISTRATION: must be open, invite or closed/,
    );
  });

  it('reads the notification variables, and names the bad ones', () => {
    expect(loadConfig({}).notifications).toEqual({
      smtpUrl: null,
      mailFrom: 'Tasks <tasks@localhost>',
      vapidKeys: null,
      vapidSubject: 'mailto:admin@localhost',
      pushAllowPrivateEndpoints: false,
      // One per core but the main thread's, at least one, at most four.
      deliveryThreads: Math.min(4, Math.max(1, os.availableParallelism() - 1)),
    });
    expect(
      loadConfig({
        SMTP_URL: 'smtp://mail.example:587',
        PUSH_ALLOW_PRIVATE_ENDPOINTS: 'true',
        DELIVERY_THREADS: '0',
      }).notifications,
    ).toMatchObject({
      smtpUrl: 'smtp://mail.example:587',
      pushAllowPrivateEndpoints: true,
      deliveryThreads: 0,
    });
    try {
      loadConfig({
        SMTP_URL: 'mail.example',
        VAPID_PUBLIC_KEY: 'B'.repeat(87),
        VAPID_SUBJECT: 'admin@example.com',
        PUSH_ALLOW_PRIVATE_ENDPOINTS: 'yes',
        DELIVERY_THREADS: '-1',
      });
      expect.unreachable('the configuration is invalid');
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/m);
      expect(problems).toMatch(/^VAPID_SUBJECT: must be a mailto: or https:\/\/ URL/m);
      expect(problems).toMatch(/^PUSH_ALLOW_PRIVATE_ENDPOINTS: must be true or false/m);
      expect(problems).toMatch(/^DELIVERY_THREADS: must be 0-32/m);
    }
    expect(() => loadConfig({ VAPID_PUBLIC_KEY: 'B'.repeat(87) })).toThrow(/set both or neither/);
  });

  it('starts no tracing unless OTEL_EXPORTER_OTLP_ENDPOINT is an http(s) URL', () => {
    expect(loadConfig({}).tracing).toEqual({ endpoint: null, serviceName: 'tasks-sync-server' });
    expect(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_SERVICE_NAME: 'tasks-eu-1',
      }).tracing,
    ).toEqual({ endpoint: 'http://collector:4318', serviceName: 'tasks-eu-1' });
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:\/\/ or https:\/\/ URL/,
    );
  });

  it('drains for 5 s before a cluster node stops, not at all alone, and names a bad value', () => {
    expect(loadConfig({}).shutdownDrainMs).toBe(0);
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).shutdownDrainMs).toBe(5000);
    expect(loadConfig({ SHUTDOWN_DRAIN_MS: '1500' }).shutdownDrainMs).toBe(1500);
    expect(
      loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', SHUTDOWN_DRAIN_MS: '0' }).shutdownDrainMs,
    ).toBe(0);
    expect(() => loadConfig({ SHUTDOWN_DRAIN_MS: 'soon' })).toThrow(
      /SHUTDOWN_DRAIN_MS: must be a number of milliseconds/,
    );
    expect(() => loadConfig({ SHUTDOWN_DRAIN_MS: '-1' })).toThrow(
      /SHUTDOWN_DRAIN_MS: must be 0-600000 milliseconds/,
    );
    expect(() => loadConfig({ SHUTDOWN_DRAIN_MS: '2.5' })).toThrow(
      /SHUTDOWN_DRAIN_MS: must be a whole number of milliseconds/,
    );
  });

  it('refuses a port out of range', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT: must be 0-65535/);
  });

  it('serves no metrics unless METRICS_TOKEN or METRICS_PORT says how, and names bad ones', () => {
    expect(loadConfig({}).metrics).toEqual({ token: null, port: null, host: '127.0.0.1' });
    const token = 'a-long-enough-metrics-token-0123';
    expect(
      loadConfig({ METRICS_TOKEN: token, METRICS_PORT: '9464', METRICS_HOST: '10.0.0.5' }).metrics,
    ).toEqual({ token, port: 9464, host: '10.0.0.5' });
    try {
      loadConfig({ METRICS_TOKEN: 'short', METRICS_PORT: 'ninety' });
      expect.unreachable('the configuration is invalid');
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^METRICS_TOKEN: must be at least 24 characters/m);
      expect(problems).toMatch(/^METRICS_PORT: must be a port number/m);
    }
    expect(() => loadConfig({ METRICS_TOKEN: 'with a space in it, long enough' })).toThrow(
      /METRICS_TOKEN: must be printable ASCII without spaces/,
    );
    expect(() => loadConfig({ PORT: '8080', METRICS_PORT: '8080' })).toThrow(
      /METRICS_PORT: must differ from PORT/,
    );
  });
});
