import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import Redis, { Cluster } from 'ioredis';
import pino from 'pino';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig, Env, loadConfig } from '@stockroom/core';
import { createApiApp } from '../../apps/api/src/app.factory';
import { signIn, viaInject } from './sign-in';

const DB_PREFIX = 'sr_t_';
const STALE_MS = 60 * 60 * 1000;

/** Connection settings of the local services; CI may point elsewhere with the same variables. */
export const serviceEnv: Env = {
  DB_HOST: process.env.DB_HOST ?? '127.0.0.1',
  DB_PORT: process.env.DB_PORT ?? '3306',
  DB_USER: process.env.DB_USER ?? 'root',
  DB_PASSWORD: process.env.DB_PASSWORD ?? '',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  // Set by `npm run test:cluster`: the suites then run against a local 3-master Redis Cluster.
  ...(process.env.REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES: process.env.REDIS_CLUSTER_NODES } : {}),
};

export const onCluster = Boolean(serviceEnv.REDIS_CLUSTER_NODES);

/** Overrides that point an app at a Redis that is not there, on a cluster run too. */
export const UNREACHABLE_REDIS = { REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLUSTER_NODES: '' };

/** A client for the tests' own checks: the cluster when the suites run on one, else the single Redis. */
export function testRedis(): Redis | Cluster {
  if (!onCluster) return new Redis(serviceEnv.REDIS_URL as string);
  const nodes = (serviceEnv.REDIS_CLUSTER_NODES as string).split(',').map((node) => ({ host: node.split(':')[0], port: Number(node.split(':')[1]) }));
  return new Cluster(nodes);
}

/** The client's nodes to visit one by one: a cluster client lists its primaries only once it has read the slots. */
export async function primaries(redis: Redis | Cluster): Promise<Redis[]> {
  if (!(redis instanceof Cluster)) return [redis];
  if (redis.status !== 'ready') await new Promise((resolve, reject) => redis.once('ready', resolve).once('end', () => reject(new Error('cluster client ended before it was ready'))));
  return redis.nodes('master');
}

/** Tests may SCAN (request paths never do); on a cluster, every primary. */
export async function keysMatching(redis: Redis | Cluster, pattern: string): Promise<string[]> {
  const nodes = await primaries(redis);
  const found: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  return found;
}

/** A database and a key prefix of this test file's own, so parallel runs never collide. */
export class TestContext {
  readonly dbName: string;
  readonly keyPrefix: string;

  private constructor(readonly id: string) {
    this.dbName = `${DB_PREFIX}${id}`;
    this.keyPrefix = `test-${id}`;
  }

  static async create(): Promise<TestContext> {
    const context = new TestContext(`${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`);
    await withServer(async (sql) => {
      await dropStaleDatabases(sql);
      await sql.query(`CREATE DATABASE \`${context.dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    });
    return context;
  }

  /** The environment a process of this context boots with (also used for child processes). */
  env(overrides: Env = {}): Env {
    return {
      ...serviceEnv,
      NODE_ENV: 'test',
      DB_NAME: this.dbName,
      REDIS_KEY_PREFIX: this.keyPrefix,
      CATALOG_SAMPLE_ON_EMPTY: 'false',
      // Suites send hundreds of requests from one address; the throttler has its own suite.
      THROTTLE_ENABLED: 'false',
      LOG_LEVEL: 'silent',
      // Every suite runs as if on a Redis Cluster: a multi-key command across hash slots fails.
      REDIS_ASSERT_SLOTS: 'true',
      ...overrides,
    };
  }

  config(overrides: Env = {}): AppConfig {
    return loadConfig(this.env(overrides));
  }

  async query<T = unknown>(statement: string, params: unknown[] = []): Promise<T> {
    const sql = await this.connect();
    try {
      const [rows] = await sql.query(statement, params);
      return rows as T;
    } finally {
      await sql.end();
    }
  }

  /** A connection of the test's own (a second client holding locks); the caller ends it. */
  connect(): ReturnType<typeof createConnection> {
    return createConnection({ ...connectionOptions(), database: this.dbName });
  }

  /**
   * Resolves once a transaction on this test's database waits for a row lock (a bound for a stuck
   * test, not a speed). Polled every 200 ms: InnoDB refreshes what INNODB_TRX shows only when it
   * was not read for 100 ms, so a faster poll keeps reading the first snapshot.
   */
  async untilLockWait(boundMs = 60_000): Promise<void> {
    for (const started = Date.now(); ; await new Promise((resolve) => setTimeout(resolve, 200))) {
      const [row] = await this.query<Array<{ n: number }>>(
        `SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
         WHERE t.trx_state = 'LOCK WAIT' AND p.DB = ?`,
        [this.dbName],
      );
      if (Number(row.n) > 0) return;
      if (Date.now() - started > boundMs) throw new Error('no transaction came to wait for a lock');
    }
  }

  async dispose(): Promise<void> {
    await withServer((sql) => sql.query(`DROP DATABASE IF EXISTS \`${this.dbName}\``));
    await deleteKeys(`${this.keyPrefix}:*`);
    // BullMQ's keys carry the prefix inside their hash tag (`{<prefix>:bull}:…`, see queuePrefix).
    await deleteKeys(`{${this.keyPrefix}:bull}*`);
  }
}

export interface TestApi {
  app: NestFastifyApplication;
  config: AppConfig;
  /** Headers of a session of the first admin, made on first use (one scrypt check). */
  admin(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/** Boots the real API on Fastify (not listening; use app.inject) against the real MySQL and Redis. */
export async function bootApi(context: TestContext, overrides: Env = {}, logger = pino({ level: 'silent' })): Promise<TestApi> {
  const config = context.config(overrides);
  const app = await createApiApp(config, { logger });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  let admin: Promise<Record<string, string>> | undefined;
  return {
    app,
    config,
    admin: () => (admin ??= signIn(viaInject(app), 'admin').then((session) => session.headers)),
    close: () => app.close(),
  };
}

function connectionOptions() {
  return {
    host: serviceEnv.DB_HOST,
    port: Number(serviceEnv.DB_PORT),
    user: serviceEnv.DB_USER,
    password: serviceEnv.DB_PASSWORD,
  };
}

async function withServer<T>(fn: (sql: Awaited<ReturnType<typeof createConnection>>) => Promise<T>): Promise<T> {
  const sql = await createConnection(connectionOptions());
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

/** Databases left behind by a crashed run are dropped once they are an hour old. */
async function dropStaleDatabases(sql: Awaited<ReturnType<typeof createConnection>>): Promise<void> {
  const [rows] = await sql.query(`SHOW DATABASES LIKE '${DB_PREFIX}%'`);
  for (const row of rows as Array<Record<string, string>>) {
    const name = Object.values(row)[0];
    const born = parseInt(name.slice(DB_PREFIX.length).split('_')[0], 36);
    if (Number.isFinite(born) && Date.now() - born > STALE_MS) {
      await sql.query(`DROP DATABASE IF EXISTS \`${name}\``);
    }
  }
}

export async function deleteKeys(pattern: string): Promise<void> {
  const redis = testRedis();
  try {
    // One key per DEL: on a cluster the keys live in different slots.
    for (const key of await keysMatching(redis, pattern)) await redis.del(key);
  } finally {
    redis.disconnect();
  }
}
