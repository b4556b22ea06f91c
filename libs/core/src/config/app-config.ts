import { Env, EnvReader, HostPort } from './env-parsers';

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * The one typed configuration object, built from the environment at boot and injected by class.
 * Everything is read once here; no other code reads process.env.
 */
export abstract class AppConfig {
  abstract readonly nodeEnv: NodeEnv;
  abstract readonly http: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimitBytes: number;
    readonly shutdownTimeoutMs: number;
    /** Origins allowed by CORS (exact, comma-separated); empty: CORS off. */
    readonly corsOrigins: readonly string[];
    /** Public catalogue reads: how long browsers and CDNs may keep them (`max-age`)… */
    readonly cacheMaxAgeSeconds: number;
    /** …and then serve them while revalidating in the background (`stale-while-revalidate`). */
    readonly staleWhileRevalidateSeconds: number;
  };
  abstract readonly db: {
    /** TypeORM's driver flavour; `auto` asks the server at boot (schema diffs differ between the two). */
    readonly type: 'auto' | 'mysql' | 'mariadb';
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly password: string;
    readonly name: string;
    readonly poolSize: number;
    readonly migrationsRun: boolean;
    /** Read replicas (same user and password): catalogue reads go there; writes and every decision stay on the primary. */
    readonly replicas: readonly HostPort[];
    /** The database name on the replicas (normally DB_NAME). */
    readonly replicaName: string;
  };
  abstract readonly redis: {
    readonly url: string;
    readonly clusterNodes: readonly HostPort[];
    readonly sentinels: readonly HostPort[];
    readonly sentinelName: string;
    readonly keyPrefix: string;
    /** Tests: refuse multi-key commands across cluster hash slots even on a single Redis. */
    readonly assertSlots: boolean;
    /** A request-path Redis command (throttler, rankings, locks, idempotency) with no reply by then fails: the request takes its fallback. */
    readonly timeoutMs: number;
    /** After a request-path Redis call failed or timed out, requests skip Redis this long; then one call probes it. */
    readonly retryMs: number;
  };
  abstract readonly cache: {
    /** Off: every read goes to MySQL and @Cached methods run every time. */
    readonly enabled: boolean;
    readonly ttlSeconds: number;
    readonly codec: 'json' | 'msgpack';
    /** In-process L1 entries per instance; 0 turns L1 off. */
    readonly l1MaxItems: number;
    readonly l1TtlMs: number;
    /** While Redis is unreachable no invalidation can arrive, so L1 entries live at most this long. */
    readonly l1OutageTtlMs: number;
    /** How long one loader may hold a key's cluster-wide lease. */
    readonly leaseMs: number;
    /** A Redis command slower than this counts as Redis being down for the request. */
    readonly redisTimeoutMs: number;
    /** XFetch beta: larger refreshes earlier; 0 turns early refresh off. */
    readonly earlyRefreshBeta: number;
  };
  abstract readonly stats: {
    /** Off: views, sales and searches are not counted. */
    readonly enabled: boolean;
    /** How often each process sends its in-memory counts to Redis. */
    readonly bufferFlushMs: number;
    /** How often view counts move from Redis to MySQL. */
    readonly writeBehindMs: number;
  };
  abstract readonly throttle: {
    readonly enabled: boolean;
    /** Requests per client (user when signed in, else IP) per route in each window of the `default` throttler. */
    readonly limit: number;
    readonly ttlSeconds: number;
    /** A second, short `burst` throttler; 0 = off. */
    readonly burstLimit: number;
    readonly burstTtlMs: number;
    /** How long an instance hands out quota it reserved from a busy client's counter (ms); 0 = off. */
    readonly reservationMs: number;
    /** Refuse requests while Redis cannot count them (default: let them through). */
    readonly failClosed: boolean;
    /** Sign-in and sign-up attempts (brute force): per client IP and per account, each window; over it, blocked. */
    readonly credentialIpLimit: number;
    readonly credentialAccountLimit: number;
    readonly credentialTtlSeconds: number;
    readonly credentialBlockSeconds: number;
    /** Proxies whose X-Forwarded-For is believed (IPs or CIDRs); empty: the socket's address. */
    readonly trustProxy: readonly string[];
  };
  abstract readonly orders: {
    /** Pending orders older than this are failed and their reservations released. */
    readonly reservationTtlSeconds: number;
    /** How often the maintenance job runs (enqueue what was never queued, expire old reservations). */
    readonly sweepIntervalMs: number;
    /** An order not queued this long after it was placed is enqueued by the sweeper. */
    readonly enqueueGraceMs: number;
    /** An order still pending this long after it was queued has its job checked: re-added if Redis lost it, retried if it failed. */
    readonly reviveAfterMs: number;
    readonly jobAttempts: number;
    /** First retry delay; doubled at each attempt. */
    readonly jobBackoffMs: number;
    /** Finished jobs kept in Redis for inspection (Bull Board). */
    readonly keepCompleted: number;
    readonly keepFailed: number;
    /** The simulated payment step: orders over this total are declined; empty: never. */
    readonly paymentDeclineAbove: string;
    /** Probability (0..1) that a payment attempt fails transiently (the job is retried). */
    readonly paymentErrorRate: number;
    /** Simulated payment latency. */
    readonly paymentDelayMs: number;
  };
  abstract readonly intake: {
    /** `batched`: concurrent orders and reservations are written in groups, one transaction each; `per-order`: one transaction per request. */
    readonly mode: 'batched' | 'per-order';
    /** How long the first waiting request waits for company before its group is written. */
    readonly windowMs: number;
    /** A group is written at once when this many wait. */
    readonly maxBatch: number;
    /** Groups written at the same time per process (each holds a DB connection); at most DB_POOL_SIZE − 1. */
    readonly maxInFlight: number;
  };
  abstract readonly worker: {
    /** Also process jobs inside the API process (one command gives a working system). */
    readonly inline: boolean;
    readonly concurrency: number;
    /** A job's lock; a worker that dies mid-job has it retried after this (plus a stall check). */
    readonly lockMs: number;
    /** The worker app serves its own /metrics (job outcomes, durations) on this port; -1: off, 0: any free port. */
    readonly metricsPort: number;
  };
  abstract readonly auth: {
    readonly adminEmail: string;
    readonly adminPassword: string;
    /** Idle time after which a session ends; each request slides it forward. */
    readonly sessionTtlSeconds: number;
    /** A session ends this long after sign-in, however active. */
    readonly sessionMaxAgeSeconds: number;
    /** A session lookup without a reply after this long fails (503 where a session is needed) instead of hanging. */
    readonly sessionRedisTimeoutMs: number;
  };
  abstract readonly catalog: {
    readonly sampleOnEmpty: boolean;
    /** How often each API instance reads which products' sellable quantity changed (`available` is at most about this stale). */
    readonly availabilityRefreshMs: number;
  };
  abstract readonly log: {
    readonly level: LogLevel;
    /** Fastify's two access lines per request (at info); off: the proxy's access log and the metrics cover traffic. */
    readonly requests: boolean;
  };
  abstract readonly runtime: {
    /** V8's old-generation growth after each full GC, in percent (0: V8's own, up to 4x what survived). */
    readonly heapGrowingPercent: number;
    /** V8's allocation-site pretenuring (off by default: it moved request objects straight to the old generation). */
    readonly pretenuring: boolean;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((line) => `  ${line}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The password .env.example ships with; fine for a laptop, refused in production. */
export const EXAMPLE_ADMIN_PASSWORD = 'change-me-stockroom';

const NAME = /^[A-Za-z0-9_$-]{1,64}$/;
const KEY_PREFIX = /^[A-Za-z0-9_.-]{1,64}$/;

/** Reads and validates every setting; throws one ConfigError listing each bad variable. */
export function loadConfig(env: Env): AppConfig {
  const read = new EnvReader(env);
  const poolSize = read.int('DB_POOL_SIZE', 10, 2, 1000);
  const config: AppConfig = {
    nodeEnv: read.oneOf<NodeEnv>('NODE_ENV', 'development', ['development', 'production', 'test']),
    http: {
      host: read.string('HOST', '0.0.0.0'),
      port: read.int('PORT', 3000, 0, 65535),
      bodyLimitBytes: read.int('BODY_LIMIT_BYTES', 1_048_576, 1024, 100 * 1_048_576),
      shutdownTimeoutMs: read.int('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
      corsOrigins: read
        .string('CORS_ORIGINS', '', { pattern: /^$|^https?:\/\/[^,\s]+(,https?:\/\/[^,\s]+)*$/, hint: 'a comma-separated list of http(s) origins' })
        .split(',')
        .filter(Boolean),
      cacheMaxAgeSeconds: read.int('HTTP_CACHE_MAX_AGE_SECONDS', 5, 0, 86_400),
      staleWhileRevalidateSeconds: read.int('HTTP_CACHE_SWR_SECONDS', 30, 0, 86_400),
    },
    db: {
      type: read.oneOf<'auto' | 'mysql' | 'mariadb'>('DB_TYPE', 'auto', ['auto', 'mysql', 'mariadb']),
      host: read.string('DB_HOST', '127.0.0.1'),
      port: read.int('DB_PORT', 3306, 1, 65535),
      user: read.string('DB_USER', 'root'),
      password: read.secret('DB_PASSWORD', ''),
      name: read.string('DB_NAME', 'stockroom', { pattern: NAME, hint: 'letters, digits, _ $ - (at most 64)' }),
      // At least 2: the boot migration holds one connection for its lock while it migrates on another.
      poolSize,
      migrationsRun: read.bool('DB_MIGRATIONS_RUN', true),
      replicas: read.hostList('DB_REPLICA_HOSTS'),
      replicaName: read.string('DB_REPLICA_NAME', read.string('DB_NAME', 'stockroom'), { pattern: NAME, hint: 'letters, digits, _ $ - (at most 64)' }),
    },
    redis: {
      url: read.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
      clusterNodes: read.hostList('REDIS_CLUSTER_NODES'),
      sentinels: read.hostList('REDIS_SENTINELS'),
      sentinelName: read.string('REDIS_SENTINEL_NAME', 'mymaster'),
      keyPrefix: read.string('REDIS_KEY_PREFIX', 'stockroom', { pattern: KEY_PREFIX, hint: 'letters, digits, _ . - (at most 64)' }),
      assertSlots: read.bool('REDIS_ASSERT_SLOTS', false),
      timeoutMs: read.int('REDIS_TIMEOUT_MS', 1_000, 10, 60_000),
      // CACHE_REDIS_RETRY_MS was this setting's name when only the cache had a circuit.
      retryMs: read.int('REDIS_RETRY_MS', read.int('CACHE_REDIS_RETRY_MS', 1_000, 10, 600_000), 10, 600_000),
    },
    cache: {
      enabled: read.bool('CACHE_ENABLED', true),
      ttlSeconds: read.int('CACHE_TTL_SECONDS', 3600, 1, 30 * 86_400),
      codec: read.oneOf<'json' | 'msgpack'>('CACHE_CODEC', 'json', ['json', 'msgpack']),
      l1MaxItems: read.int('CACHE_L1_MAX_ITEMS', 0, 0, 10_000_000),
      l1TtlMs: read.int('CACHE_L1_TTL_MS', 60_000, 1, 86_400_000),
      l1OutageTtlMs: read.int('CACHE_L1_OUTAGE_TTL_MS', 2_000, 1, 600_000),
      leaseMs: read.int('CACHE_LEASE_MS', 2_000, 10, 60_000),
      redisTimeoutMs: read.int('CACHE_REDIS_TIMEOUT_MS', 1_000, 10, 60_000),
      earlyRefreshBeta: read.float('CACHE_EARLY_REFRESH_BETA', 1, 0, 100),
    },
    stats: {
      enabled: read.bool('STATS_ENABLED', true),
      bufferFlushMs: read.int('STATS_BUFFER_FLUSH_MS', 1_000, 10, 60_000),
      writeBehindMs: read.int('STATS_WRITE_BEHIND_MS', 5_000, 100, 3_600_000),
    },
    throttle: {
      enabled: read.bool('THROTTLE_ENABLED', true),
      limit: read.int('THROTTLE_LIMIT', 1_000, 1, 10_000_000),
      ttlSeconds: read.int('THROTTLE_TTL_SECONDS', 60, 1, 86_400),
      burstLimit: read.int('THROTTLE_BURST_LIMIT', 0, 0, 10_000_000),
      burstTtlMs: read.int('THROTTLE_BURST_TTL_MS', 1_000, 10, 3_600_000),
      reservationMs: read.int('THROTTLE_RESERVATION_MS', 10, 0, 1_000),
      failClosed: read.bool('THROTTLE_FAIL_CLOSED', false),
      credentialIpLimit: read.int('THROTTLE_AUTH_IP_LIMIT', 20, 1, 1_000_000),
      credentialAccountLimit: read.int('THROTTLE_AUTH_ACCOUNT_LIMIT', 5, 1, 1_000_000),
      credentialTtlSeconds: read.int('THROTTLE_AUTH_TTL_SECONDS', 900, 1, 86_400),
      credentialBlockSeconds: read.int('THROTTLE_AUTH_BLOCK_SECONDS', 900, 0, 86_400),
      trustProxy: read.string('TRUST_PROXY', '', { pattern: /^$|^[0-9a-fA-F.:/]+(,[0-9a-fA-F.:/]+)*$/, hint: 'a comma-separated list of IPs or CIDRs' })
        .split(',')
        .filter(Boolean),
    },
    orders: {
      reservationTtlSeconds: read.int('ORDER_RESERVATION_TTL_SECONDS', 900, 1, 30 * 86_400),
      sweepIntervalMs: read.int('ORDER_SWEEP_INTERVAL_MS', 10_000, 100, 3_600_000),
      enqueueGraceMs: read.int('ORDER_ENQUEUE_GRACE_MS', 5_000, 0, 3_600_000),
      reviveAfterMs: read.int('ORDER_REVIVE_AFTER_MS', 60_000, 1_000, 86_400_000),
      jobAttempts: read.int('ORDER_JOB_ATTEMPTS', 5, 1, 100),
      jobBackoffMs: read.int('ORDER_JOB_BACKOFF_MS', 1_000, 1, 3_600_000),
      keepCompleted: read.int('QUEUE_KEEP_COMPLETED', 1_000, 0, 1_000_000),
      keepFailed: read.int('QUEUE_KEEP_FAILED', 5_000, 0, 1_000_000),
      paymentDeclineAbove: read.string('PAYMENT_DECLINE_ABOVE', '', { pattern: /^$|^\d{1,10}(\.\d{1,2})?$/, hint: 'an amount such as 500 or 99.99, or empty' }),
      paymentErrorRate: read.float('PAYMENT_ERROR_RATE', 0, 0, 1),
      paymentDelayMs: read.int('PAYMENT_DELAY_MS', 0, 0, 600_000),
    },
    intake: {
      mode: read.oneOf<'batched' | 'per-order'>('INTAKE_MODE', 'batched', ['batched', 'per-order']),
      windowMs: read.int('INTAKE_WINDOW_MS', 5, 0, 1_000),
      maxBatch: read.int('INTAKE_MAX_BATCH', 100, 1, 1_000),
      // Capped below the pool: other queries (reads, the per-order fallback) always find a connection.
      maxInFlight: Math.min(read.int('INTAKE_MAX_IN_FLIGHT', 2, 1, 100), poolSize - 1),
    },
    worker: {
      inline: read.bool('WORKER_INLINE', false),
      concurrency: read.int('WORKER_CONCURRENCY', 10, 1, 1_000),
      lockMs: read.int('WORKER_LOCK_MS', 30_000, 500, 3_600_000),
      metricsPort: read.int('WORKER_METRICS_PORT', -1, -1, 65535),
    },
    auth: {
      adminEmail: read.string('ADMIN_EMAIL', 'admin@stockroom.local', { pattern: /^[^\s@]+@[^\s@]+$/, hint: 'an email address' }).toLowerCase(),
      adminPassword: read.secret('ADMIN_PASSWORD', EXAMPLE_ADMIN_PASSWORD),
      sessionTtlSeconds: read.int('SESSION_TTL_SECONDS', 1_800, 1, 30 * 86_400),
      sessionMaxAgeSeconds: read.int('SESSION_MAX_AGE_SECONDS', 7 * 86_400, 1, 365 * 86_400),
      sessionRedisTimeoutMs: read.int('SESSION_REDIS_TIMEOUT_MS', 1_000, 10, 60_000),
    },
    catalog: {
      sampleOnEmpty: read.bool('CATALOG_SAMPLE_ON_EMPTY', true),
      availabilityRefreshMs: read.int('CATALOG_AVAILABILITY_REFRESH_MS', 1_000, 100, 60_000),
    },
    log: {
      level: read.oneOf<LogLevel>('LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
      requests: read.bool('LOG_REQUESTS', false),
    },
    runtime: {
      heapGrowingPercent: read.int('NODE_HEAP_GROWING_PERCENT', 40, 0, 400),
      pretenuring: read.bool('NODE_PRETENURING', false),
    },
  };
  if (config.nodeEnv === 'production' && config.auth.adminPassword === EXAMPLE_ADMIN_PASSWORD) {
    read.problems.push('ADMIN_PASSWORD: the example password cannot be used with NODE_ENV=production');
  }
  if (config.auth.adminPassword.length < 12) read.problems.push('ADMIN_PASSWORD: expected at least 12 characters');
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}
