/**
 * `npm run bench:redis-client`: what one cached read costs the client, per Redis connection kind.
 * 50 concurrent loops GET 600-byte values (a product's rendering) over one connection; reported:
 * GETs per second and the client process's CPU per GET (user + system). Variants, alternating,
 * each measured BENCH_ROUNDS times (default 3):
 * - ioredis with `enableAutoPipelining` and a command timeout (the request connection until 2026-12-01);
 * - ioredis plain (one write per command);
 * - Stockroom's connection (`createRedisConnection` with write coalescing and a command deadline:
 *   one timer per connection, `CommandDeadlines`);
 * - the same with ioredis' own `commandTimeout` instead (a timer per command; Stockroom's until 2026-12-04);
 * - the cache's reads through that connection (`TurnGets`: a turn's GETs as one MGET; here every
 *   loop reads in the same turn, so an MGET carries 50 keys, where `bench:read`'s carried 15);
 * - @redis/client, the peer's client, when `bench/.peer` is installed (bench:read installs it).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Redis, { RedisOptions } from 'ioredis';
import { coalesceWrites, createRedisConnection, TurnGets } from '@stockroom/redis';
import type { AppConfig } from '@stockroom/core';
import { ROOT, saveReport } from './support';

const GETS = 200_000;
const CONCURRENCY = 50;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const VALUE = 'x'.repeat(600);
const PREFIX = 'bench:redis-client';

interface Client {
  get(key: string): Promise<unknown>;
  close(): Promise<void>;
}

const CONFIG = { redis: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', clusterNodes: [], sentinels: [], sentinelName: 'mymaster' } } as unknown as Pick<AppConfig, 'redis'>;

const ioredis = (options: RedisOptions) => async (): Promise<Client> => {
  const client = new Redis({ maxRetriesPerRequest: 0, ...options });
  await client.ping();
  return { get: (key) => client.get(key), close: async () => client.disconnect() };
};

const variants: Array<{ name: string; open: () => Promise<Client> }> = [
  { name: 'ioredis, enableAutoPipelining + commandTimeout', open: ioredis({ enableAutoPipelining: true, commandTimeout: 1_000 }) },
  { name: 'ioredis, one write per command', open: ioredis({}) },
  {
    name: 'Stockroom: writes coalesced + one deadline timer per connection',
    open: async () => {
      const client = createRedisConnection(CONFIG.redis, { name: 'bench', commandTimeoutMs: 1_000, writeCoalescing: true }) as Redis;
      await client.ping();
      return { get: (key) => client.get(key), close: async () => client.disconnect() };
    },
  },
  {
    name: 'Stockroom cache reads: a turn\'s GETs as one MGET (TurnGets)',
    open: async () => {
      const client = createRedisConnection(CONFIG.redis, { name: 'bench', commandTimeoutMs: 1_000, writeCoalescing: true }) as Redis;
      await client.ping();
      const gets = new TurnGets(client);
      return { get: (key) => gets.getBuffer(key), close: async () => client.disconnect() };
    },
  },
  {
    name: "writes coalesced + ioredis' commandTimeout",
    open: async () => {
      const client = new Redis({ maxRetriesPerRequest: 0, commandTimeout: 1_000 });
      coalesceWrites(client);
      await client.ping();
      return { get: (key) => client.get(key), close: async () => client.disconnect() };
    },
  },
];
const peerClient = join(ROOT, 'bench', '.peer', 'node_modules', '@redis', 'client');
if (existsSync(peerClient)) {
  variants.push({
    name: "@redis/client (the peer's)",
    open: async () => {
      const { createClient } = require(peerClient) as { createClient: () => { connect(): Promise<unknown>; get(key: string): Promise<unknown>; quit(): Promise<unknown> } };
      const client = createClient();
      await client.connect();
      return { get: (key) => client.get(key), close: async () => void (await client.quit()) };
    },
  });
}

async function measure(client: Client): Promise<{ perSecond: number; cpuMicros: number }> {
  let next = 0;
  const loop = async () => {
    while (next < GETS) await client.get(`${PREFIX}:${next++ % 1000}`);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { perSecond: Math.round((GETS / elapsed) * 1000), cpuMicros: (used.user + used.system) / GETS };
}

async function main(): Promise<void> {
  const setup = new Redis();
  for (let i = 0; i < 1000; i += 100) await setup.mset(...Array.from({ length: 100 }, (_, j) => [`${PREFIX}:${i + j}`, VALUE]).flat());
  const rows: string[] = ['| client | round | GETs/s | client CPU µs per GET |', '| --- | --- | --- | --- |'];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const variant of round % 2 === 1 ? variants : [...variants].reverse()) {
        const client = await variant.open();
        try {
          const { perSecond, cpuMicros } = await measure(client);
          rows.push(`| ${variant.name} | ${round} | ${perSecond} | ${cpuMicros.toFixed(2)} |`);
          console.log(`${variant.name} (round ${round}): ${perSecond} GETs/s, ${cpuMicros.toFixed(2)} µs CPU per GET`);
        } finally {
          await client.close();
        }
      }
    }
  } finally {
    const keys = Array.from({ length: 1000 }, (_, i) => `${PREFIX}:${i}`);
    await setup.unlink(...keys);
    setup.disconnect();
  }
  saveReport('redis-client', ['ioredis'], [`load: ${CONCURRENCY} concurrent loops, ${GETS} GETs of ${VALUE.length} bytes per figure, one connection; ${ROUNDS} rounds`, '', ...rows]);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
