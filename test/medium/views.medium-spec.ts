import type { INestApplicationContext } from '@nestjs/common';
import { CatalogCoreModule, ProductRepository } from '@stockroom/catalog';
import { ViewsWriteBehind } from '@stockroom/stats';
import { bootCore } from '../support/core-app';
import { TestContext } from '../support/test-context';

/** The stats write-behind landing in the catalogue's column through its port, exactly once per flush. */
describe('Views write-behind through the catalogue\'s store (medium tier)', () => {
  let context: TestContext;
  let app: INestApplicationContext;

  beforeAll(async () => {
    context = await TestContext.create();
    app = await bootCore(context, [CatalogCoreModule], { CATALOG_SAMPLE_ON_EMPTY: 'false', STATS_WRITE_BEHIND_MS: '3600000' });
  });

  afterAll(async () => {
    await app?.close();
    await context?.dispose();
  });

  it('adds a batch once: applying the same flush again changes nothing', async () => {
    const products = app.get(ProductRepository);
    const [a, b] = [
      await products.create({ sku: 'VIEW-A', name: 'A', description: '', price: '1.00', stock: 0 }),
      await products.create({ sku: 'VIEW-B', name: 'B', description: '', price: '1.00', stock: 0 }),
    ];
    const writeBehind = app.get(ViewsWriteBehind);
    const batch = { flushId: 'medium-flush-1', counts: new Map([[a.id, 3], [b.id, 4], [999_999, 1]]) };
    expect(await writeBehind.apply(batch)).toBe(8);
    expect(await writeBehind.apply(batch)).toBe(0);
    const rows = await context.query<Array<{ id: number; views: number; updated_at: Date }>>('SELECT id, views FROM products WHERE id IN (?) ORDER BY id', [[a.id, b.id]]);
    expect(rows.map((row) => Number(row.views))).toEqual([3, 4]);
  });

  it('locks its rows in id order, as every other writer does: a flush never deadlocks with a transaction going up the ids', async () => {
    const products = app.get(ProductRepository);
    const low = await products.create({ sku: 'VIEW-LOW', name: 'Low', description: '', price: '1.00', stock: 0 });
    const high = await products.create({ sku: 'VIEW-HIGH', name: 'High', description: '', price: '1.00', stock: 0 });
    const holder = await context.connect();
    try {
      // An order group locks its products in ascending id; it holds the lower one now.
      await holder.query('START TRANSACTION');
      await holder.query('SELECT id FROM products WHERE id = ? FOR UPDATE', [low.id]);
      // Counts that statements by count would write high id first (its count comes first).
      const flush = app.get(ViewsWriteBehind).apply({ flushId: 'medium-flush-order', counts: new Map([[high.id, 3], [low.id, 1]]) });
      await context.untilLockWait();
      // The group goes on to the higher id: it waits for nothing, where it used to close a deadlock cycle (and, the lighter, be its victim).
      await holder.query('SELECT id FROM products WHERE id = ? FOR UPDATE', [high.id]);
      await holder.query('COMMIT');
      expect(await flush).toBe(4);
    } finally {
      await holder.end();
    }
    const rows = await context.query<Array<{ views: number }>>('SELECT views FROM products WHERE id IN (?) ORDER BY id', [[low.id, high.id]]);
    expect(rows.map((row) => Number(row.views))).toEqual([1, 3]);
  });

  /** `n` new products (one INSERT); their ids ascending. */
  const bulkProducts = async (prefix: string, n: number): Promise<number[]> => {
    await context.query(`INSERT INTO products (sku, name, description, price, stock, reserved, views, version) VALUES ${Array.from({ length: n }, (_, i) => `('${prefix}-${i}', 'Bulk', '', 1.00, 0, 0, 0, 1)`).join(',')}`);
    return (await context.query<Array<{ id: number }>>('SELECT id FROM products WHERE sku LIKE ? ORDER BY id', [`${prefix}-%`])).map((row) => Number(row.id));
  };
  const viewsOf = async (ids: number[]) => (await context.query<Array<{ views: number }>>('SELECT views FROM products WHERE id IN (?) ORDER BY id', [ids])).map((row) => Number(row.views));
  const progressOf = async (flushId: string) => (await context.query<Array<{ applied_through: number | null }>>('SELECT applied_through FROM counter_flushes WHERE id = ?', [flushId]))[0]?.applied_through;

  it('adds a large batch of mixed counts (more than one statement\'s worth of ids) exactly, leaving updated_at alone', async () => {
    const ids = await bulkProducts('BULK', 2_500);
    const rows = await context.query<Array<{ id: number; updated_at: Date }>>('SELECT id, updated_at FROM products WHERE id IN (?) ORDER BY id', [ids]);
    const counts = new Map(rows.map((row, i) => [Number(row.id), (i % 3) + 1] as [number, number]));
    expect(await app.get(ViewsWriteBehind).apply({ flushId: 'medium-flush-bulk', counts })).toBe([...counts.values()].reduce((a, b) => a + b, 0));
    const after = await context.query<Array<{ updated_at: Date }>>('SELECT updated_at FROM products WHERE id IN (?) ORDER BY id', [ids]);
    expect(await viewsOf(ids)).toEqual(rows.map((_, i) => (i % 3) + 1));
    expect(after.map((row) => row.updated_at.getTime())).toEqual(rows.map((row) => row.updated_at.getTime()));
  });

  it('applies a batch 1,000 ids per transaction: a flusher that dies after one resumes after the last id recorded, adding nothing twice', async () => {
    const ids = await bulkProducts('STEP', 2_500);
    const writeBehind = app.get(ViewsWriteBehind);
    const batch = { flushId: 'medium-flush-steps', counts: new Map(ids.map((id, i) => [id, (i % 4) + 1] as [number, number])) };
    const first = await writeBehind.applyNext(batch); // … and the flusher dies here
    expect(first.done).toBe(false);
    expect(await progressOf(batch.flushId)).toBe(ids[999]);
    expect(await viewsOf(ids)).toEqual(ids.map((_, i) => (i < 1_000 ? (i % 4) + 1 : 0)));
    // The next flusher, with the batch as Redis keeps it (a new object, nothing in memory).
    const again = { flushId: batch.flushId, counts: new Map(batch.counts) };
    const total = [...batch.counts.values()].reduce((a, b) => a + b, 0);
    expect(await writeBehind.apply(again)).toBe(total - first.views);
    expect(await writeBehind.apply(again)).toBe(0);
    expect(await viewsOf(ids)).toEqual(ids.map((_, i) => (i % 4) + 1));
  });

  it('commits each transaction as it goes: a lock on a later product holds up only the transaction that has it, not what came before', async () => {
    const ids = await bulkProducts('HOLD', 2_500);
    const holder = await context.connect();
    try {
      await holder.query('START TRANSACTION');
      await holder.query('SELECT id FROM products WHERE id = ? FOR UPDATE', [ids[1_500]]);
      const applying = app.get(ViewsWriteBehind).apply({ flushId: 'medium-flush-hold', counts: new Map(ids.map((id) => [id, 2] as [number, number])) });
      await context.untilLockWait();
      // The first 1,000 are in, for everyone, while the second transaction waits for the lock.
      expect(await progressOf('medium-flush-hold')).toBe(ids[999]);
      expect(await viewsOf(ids.slice(0, 1_000))).toEqual(Array(1_000).fill(2));
      expect(await viewsOf(ids.slice(1_000))).toEqual(Array(1_500).fill(0));
      await holder.query('COMMIT');
      expect(await applying).toBe(5_000);
    } finally {
      await holder.end();
    }
    expect(await viewsOf(ids)).toEqual(Array(2_500).fill(2));
  });

  it('adds every count once when two flushers apply the same batch at once', async () => {
    const ids = await bulkProducts('PAIR', 2_600);
    const writeBehind = app.get(ViewsWriteBehind);
    const counts = new Map(ids.map((id, i) => [id, (i % 2) + 1] as [number, number]));
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const applied = await Promise.all([writeBehind.apply({ flushId: 'medium-flush-pair', counts }), writeBehind.apply({ flushId: 'medium-flush-pair', counts: new Map(counts) })]);
    expect(applied[0] + applied[1]).toBe(total);
    expect(await viewsOf(ids)).toEqual(ids.map((_, i) => (i % 2) + 1));
  });

  it('takes a record from before batches were split (no progress kept) as the whole batch applied', async () => {
    const [id] = await bulkProducts('LEGACY', 1);
    await context.query("INSERT INTO counter_flushes (id) VALUES ('medium-flush-legacy')");
    expect(await app.get(ViewsWriteBehind).apply({ flushId: 'medium-flush-legacy', counts: new Map([[id, 5]]) })).toBe(0);
    expect(await viewsOf([id])).toEqual([0]);
  });
});
