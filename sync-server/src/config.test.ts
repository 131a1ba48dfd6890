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
    });
    expect(
      loadConfig({ SMTP_URL: 'smtp://mail.example:587', PUSH_ALLOW_PRIVATE_ENDPOINTS: 'true' })
        .notifications,
    ).toMatchObject({ smtpUrl: 'smtp://mail.example:587', pushAllowPrivateEndpoints: true });
    try {
      loadConfig({
        SMTP_URL: 'mail.example',
        VAPID_PUBLIC_KEY: 'B'.repeat(87),
        VAPID_SUBJECT: 'admin@example.com',
        PUSH_ALLOW_PRIVATE_ENDPOINTS: 'yes',
      });
      expect.unreachable('the configuration is invalid');
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/m);
      expect(problems).toMatch(/^VAPID_SUBJECT: must be a mailto: or https:\/\/ URL/m);
      expect(problems).toMatch(/^PUSH_ALLOW_PRIVATE_ENDPOINTS: must be true or false/m);
    }
    expect(() => loadConfig({ VAPID_PUBLIC_KEY: 'B'.repeat(87) })).toThrow(/set both or neither/);
  });

  it('refuses a port out of range', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT: must be 0-65535/);
  });
});
