import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('uses the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({ host: '0.0.0.0', port: 3000, bodyLimitBytes: 1_048_576, shutdownTimeoutMs: 10_000, corsOrigins: [], cacheMaxAgeSeconds: 5, staleWhileRevalidateSeconds: 30 });
    expect(config.db).toEqual({ type: 'auto', host: '127.0.0.1', port: 3306, user: 'root', password: '', name: 'stockroom', poolSize: 10, migrationsRun: true, replicas: [], replicaName: 'stockroom' });
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', clusterNodes: [], sentinels: [], sentinelName: 'mymaster', keyPrefix: 'stockroom', assertSlots: false, timeoutMs: 1_000, retryMs: 1_000 });
    expect(config.catalog.sampleOnEmpty).toBe(true);
    expect(config.log.level).toBe('info');
    expect(config.log.requests).toBe(false);
    expect(config.nodeEnv).toBe('development');
  });

  it('reads the HTTP cache, request-log and Redis deadline settings (CACHE_REDIS_RETRY_MS still names the retry)', () => {
    const config = loadConfig({ HTTP_CACHE_MAX_AGE_SECONDS: '60', HTTP_CACHE_SWR_SECONDS: '0', LOG_REQUESTS: 'true', REDIS_TIMEOUT_MS: '250', CACHE_REDIS_RETRY_MS: '3000' });
    expect(config.http).toMatchObject({ cacheMaxAgeSeconds: 60, staleWhileRevalidateSeconds: 0 });
    expect(config.log.requests).toBe(true);
    expect(config.redis).toMatchObject({ timeoutMs: 250, retryMs: 3_000 });
    expect(loadConfig({ REDIS_RETRY_MS: '500', CACHE_REDIS_RETRY_MS: '3000' }).redis.retryMs).toBe(500);
  });

  it('reads every variable it is given', () => {
    const config = loadConfig({
      PORT: '8080',
      DB_PASSWORD: ' secret ',
      DB_MIGRATIONS_RUN: 'false',
      REDIS_CLUSTER_NODES: '10.0.0.1:7000, [::1]:7001',
      REDIS_KEY_PREFIX: 'shop-a',
      NODE_ENV: 'production',
      ADMIN_PASSWORD: 'a-real-production-secret',
    });
    expect(config.http.port).toBe(8080);
    expect(config.db.password).toBe(' secret ');
    expect(config.db.migrationsRun).toBe(false);
    expect(config.redis.clusterNodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '::1', port: 7001 },
    ]);
    expect(config.redis.keyPrefix).toBe('shop-a');
    expect(config.nodeEnv).toBe('production');
  });

  it('lists one line per bad variable, naming it and the value', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ PORT: '70000', DB_PORT: 'abc', REDIS_URL: 'http://x', DB_NAME: 'a;drop', REDIS_SENTINELS: 'host', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toHaveLength(6);
    expect(error!.problems.map((p) => p.split(':')[0])).toEqual(['PORT', 'DB_PORT', 'DB_NAME', 'REDIS_URL', 'REDIS_SENTINELS', 'LOG_LEVEL']);
    expect(error!.problems[0]).toBe('PORT: expected an integer from 0 to 65535, got "70000"');
  });

  it.each([
    ['THROTTLE', 'ignored'],
    ['DB_MIGRATIONS_RUN', 'yes'],
  ])('accepts %s=%s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).not.toThrow();
  });

  it('refuses a pool too small for the boot migration lock', () => {
    expect(() => loadConfig({ DB_POOL_SIZE: '1' })).toThrow(/DB_POOL_SIZE: expected an integer from 2 to 1000/);
  });

  it('refuses the example admin password in production, and short ones anywhere', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/ADMIN_PASSWORD: the example password cannot be used with NODE_ENV=production/);
    expect(() => loadConfig({ NODE_ENV: 'production', ADMIN_PASSWORD: 'a-long-real-secret' })).not.toThrow();
    expect(() => loadConfig({ ADMIN_PASSWORD: 'short' })).toThrow(/ADMIN_PASSWORD: expected at least 12 characters/);
    expect(loadConfig({ ADMIN_EMAIL: ' Boss@Example.COM ' }).auth.adminEmail).toBe('boss@example.com');
  });

  it('refuses a key prefix that could reach into another namespace', () => {
    expect(() => loadConfig({ REDIS_KEY_PREFIX: 'a:b' })).toThrow(ConfigError);
    expect(() => loadConfig({ REDIS_KEY_PREFIX: 'a*' })).toThrow(ConfigError);
  });
});
