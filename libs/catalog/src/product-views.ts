import { Injectable, OnModuleInit } from '@nestjs/common';
import { UnitOfWork } from '@stockroom/database';
import { ViewCountStore, ViewsWriteBehind } from '@stockroom/stats';

const IDS_PER_STATEMENT = 1_000;

/**
 * Where the stats lib's write-behind lands: the `views` column of `products`, which the catalogue
 * owns. Plugged into the write-behind at startup (stats imports no feature lib).
 */
@Injectable()
export class ProductViews extends ViewCountStore implements OnModuleInit {
  constructor(
    private readonly work: UnitOfWork,
    private readonly writeBehind: ViewsWriteBehind,
  ) {
    super();
  }

  onModuleInit(): void {
    this.writeBehind.storeViewsIn(this);
  }

  /**
   * In the write-behind's unit of work; deleted products are simply not matched, and updated_at
   * keeps meaning "edited", not "viewed". One statement per distinct count (most views come in
   * ones and twos) and per 1,000 ids: `IN (…)` is a sorted list MySQL searches, where one
   * `CASE id WHEN … END` over every viewed product was compared linearly for each row (a batch
   * of 10,000 products cost the database seconds of CPU every flush).
   *
   * The rows are locked first, in id order, as every other multi-row writer locks them (the order
   * intake, stock changes): statements by count would lock them out of order, and a flush then
   * deadlocked with a group of orders holding the same products.
   */
  async addViews(counts: Map<number, number>): Promise<void> {
    const inIdOrder = [...counts.keys()].sort((a, b) => a - b);
    for (let from = 0; from < inIdOrder.length; from += IDS_PER_STATEMENT) {
      await this.work.manager.query('SELECT id FROM products WHERE id IN (?) ORDER BY id FOR UPDATE', [inIdOrder.slice(from, from + IDS_PER_STATEMENT)]);
    }
    const byCount = new Map<number, number[]>();
    for (const [id, count] of counts) {
      const ids = byCount.get(count);
      if (ids) ids.push(id);
      else byCount.set(count, [id]);
    }
    for (const [count, ids] of byCount) {
      for (let from = 0; from < ids.length; from += IDS_PER_STATEMENT) {
        await this.work.manager.query('UPDATE products SET views = views + ?, updated_at = updated_at WHERE id IN (?)', [count, ids.slice(from, from + IDS_PER_STATEMENT)]);
      }
    }
  }

  /** For the views ranking's rebuild: by primary key, a chunk at a time. */
  async viewsAfter(afterId: number, limit: number): Promise<Array<[number, number]>> {
    const rows = (await this.work.manager.query('SELECT id, views FROM products WHERE id > ? AND views > 0 ORDER BY id LIMIT ?', [afterId, limit])) as Array<{ id: number; views: number | string }>;
    return rows.map((row) => [Number(row.id), Number(row.views)]);
  }
}
