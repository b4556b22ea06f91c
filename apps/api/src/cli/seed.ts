import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { bootOrExit, ConfigModule, loadConfigFromProcess, MetricsModule } from '@stockroom/core';
import { DatabaseModule, prepareDatabase } from '@stockroom/database';
import { RedisModule } from '@stockroom/redis';
import { CacheModule } from '@stockroom/cache';
import { CatalogSeeder, CatalogCoreModule } from '@stockroom/catalog';
import { LockModule } from '@stockroom/lock';
import { InventoryCoreModule } from '@stockroom/inventory';

const USAGE = 'usage: npm run seed -- --count <1..1000000>  (in the image: node dist/apps/cli/main.js seed --count <n>)';

function parseCount(args: string[]): number {
  const { values } = parseArgs({ args, options: { count: { type: 'string', default: '10000' } }, strict: true });
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 1_000_000) {
    process.stderr.write(`seed: --count must be an integer from 1 to 1000000 (got ${values.count})\n${USAGE}\n`);
    process.exit(2);
  }
  return count;
}

/** Ensures sample products SR-000001..SR-<count> exist; rerunning inserts only what is missing. */
export async function seedCommand(args: string[]): Promise<void> {
  const count = parseCount(args);
  const started = Date.now();
  const inserted = await bootOrExit('seed', async () => {
    const config = loadConfigFromProcess();
    await prepareDatabase(config);
    @Module({ imports: [ConfigModule.forRoot({ ...config, catalog: { ...config.catalog, sampleOnEmpty: false } }), MetricsModule, DatabaseModule, RedisModule.forRoot(config.redis), CacheModule.forRoot(config.cache), LockModule.forRoot(), CatalogCoreModule, InventoryCoreModule] })
    class SeedModule {}
    const app = await NestFactory.createApplicationContext(SeedModule, { logger: ['error', 'warn'] });
    try {
      return await app.get(CatalogSeeder).seed(count, (done) => process.stdout.write(`\rseeded ${done}/${count}`));
    } finally {
      await app.close();
    }
  });
  process.stdout.write(`\ninserted ${inserted} products (${count - inserted} already present) in ${Date.now() - started} ms\n`);
}

// `npm run seed` runs this file itself; the image's CLI (cli/main.ts) imports it.
if (require.main === module) void seedCommand(process.argv.slice(2));
