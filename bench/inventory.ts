/**
 * `npm run bench:inventory`: reservations per second on one hot product, at the same concurrency
 * in the same process: group commit (ReservationIntake, what `POST /inventory/reservations` runs by
 * default), one transaction per reservation with the guarded UPDATE (InventoryService.reserveStock,
 * INTAKE_MODE=per-order), and the seed's design (Redis lock → read → write); then the lock's
 * acquire + release round trip.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { ConfigModule, loadConfig, MetricsModule } from '@stockroom/core';
import { DatabaseModule, prepareDatabase, UnitOfWork } from '@stockroom/database';
import { RedisModule } from '@stockroom/redis';
import { CacheModule } from '@stockroom/cache';
import { LockModule, LockService } from '@stockroom/lock';
import { CatalogModule } from '@stockroom/catalog';
import { InventoryModule, InventoryRepository, InventoryService, ReservationIntake } from '@stockroom/inventory';
import { BENCH_ENV, percentile, saveReport } from './support';

const CONCURRENCY = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION_MS = Number(process.env.BENCH_DURATION ?? 10) * 1000;

async function run(name: string, round: number, work: () => Promise<void>): Promise<{ row: string; perSecond: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + DURATION_MS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        try {
          await work();
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  const perSecond = Math.round(latencies.length / seconds);
  return { row: `| ${name} | ${round} | ${perSecond} | ${percentile(sorted, 50).toFixed(2)} | ${percentile(sorted, 99).toFixed(2)} | ${errors} |`, perSecond };
}

async function main(): Promise<void> {
  const config = loadConfig({ ...BENCH_ENV, DB_POOL_SIZE: '60', CACHE_L1_MAX_ITEMS: '0' });
  await prepareDatabase(config);
  @Module({ imports: [ConfigModule.forRoot(config), MetricsModule, DatabaseModule, RedisModule.forRoot(config.redis), CacheModule.forRoot(config.cache), LockModule.forRoot(), CatalogModule, InventoryModule] })
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error'] });
  await app.init();
  const dataSource = app.get<DataSource>(getDataSourceToken());
  const inventory = app.get(InventoryService);
  const repository = app.get(InventoryRepository);
  const locks = app.get(LockService);
  const work = app.get(UnitOfWork, { strict: false });
  await dataSource.query("INSERT IGNORE INTO products (sku, name, description, price, stock) VALUES ('BENCH-HOT', 'Hot', '', '1.00', 1000000000)");
  const [{ id }] = (await dataSource.query("SELECT id FROM products WHERE sku = 'BENCH-HOT'")) as Array<{ id: number }>;

  const intake = app.get(ReservationIntake);
  const grouped = () => intake.reserve([{ productId: id, quantity: 1 }]).then(() => undefined);
  const guarded = () => inventory.reserveStock([{ productId: id, quantity: 1 }]).then(() => undefined);
  // The seed's update_stock: take a Redis lock, read the row, compute in Node, write it back.
  const lockReadWrite = () =>
    locks.withLock(
      `product:${id}`,
      (lease) =>
        work.run(async () => {
          const [row] = (await work.manager.query('SELECT stock, reserved FROM products WHERE id = ?', [id])) as Array<{ stock: number; reserved: number }>;
          if (row.stock - row.reserved < 1) throw new Error('sold out');
          await work.manager.query('UPDATE products SET reserved = ? WHERE id = ?', [row.reserved + 1, id]);
          await repository.recordMovement({ productId: id, type: 'reservation', stockDelta: 0, reservedDelta: 1, reason: 'bench', fencingToken: lease.fencingToken });
        }),
      { ttlMs: 5_000, waitMs: 30_000 },
    );

  const rows = ['| design | round | reservations/s | p50 ms | p99 ms | errors |', '| --- | --- | --- | --- | --- | --- |'];
  const ratios = ['| round | group commit / seed | per-request / seed |', '| --- | --- | --- |'];
  for (let round = 1; round <= 2; round++) {
    const figures = [
      await run('group commit (default intake)', round, grouped),
      await run('guarded UPDATE, one transaction each (per-order)', round, guarded),
      await run('Redis lock → SELECT → UPDATE (seed)', round, lockReadWrite),
    ];
    rows.push(...figures.map((figure) => figure.row));
    ratios.push(`| ${round} | ${(figures[0].perSecond / figures[2].perSecond).toFixed(1)} | ${(figures[1].perSecond / figures[2].perSecond).toFixed(1)} |`);
  }

  const lockRows = ['| operation | round | calls | mean µs | p50 µs | p99 µs |', '| --- | --- | --- | --- | --- | --- |'];
  for (let round = 1; round <= 2; round++) {
    const samples: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      const t = performance.now();
      const lease = await locks.acquire(`bench:lock:${i % 100}`);
      await lease.release();
      samples.push((performance.now() - t) * 1000);
    }
    const sorted = samples.sort((a, b) => a - b);
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    lockRows.push(`| acquire + release (uncontended, 2 Lua calls) | ${round} | ${samples.length} | ${mean.toFixed(0)} | ${percentile(sorted, 50).toFixed(0)} | ${percentile(sorted, 99).toFixed(0)} |`);
  }
  // Return the hot product to its starting point so repeated runs stay comparable.
  await dataSource.query('UPDATE products SET reserved = 0 WHERE id = ?', [id]);
  await dataSource.query("DELETE FROM stock_movements WHERE product_id = ? AND type = 'reservation'", [id]);
  await app.close();
  saveReport('inventory', ['@nestjs/core', 'typeorm', 'mysql2', 'ioredis'], [
    `load: ${CONCURRENCY} concurrent callers in one process, ${DURATION_MS / 1000}s per figure, one product, quantity 1, DB pool 60`,
    '',
    rows.join('\n'),
    '',
    ratios.join('\n'),
    '',
    lockRows.join('\n'),
  ]);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
