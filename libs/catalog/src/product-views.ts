import { Injectable, OnModuleInit } from '@nestjs/common';
import { UnitOfWork } from '@stockroom/database';
import { ViewCountStore, ViewsWriteBehind } from '@stockroom/stats';

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

  /** In the write-behind's unit of work; deleted products are simply not matched, and updated_at keeps meaning "edited", not "viewed". */
  async addViews(counts: Map<number, number>): Promise<void> {
    const ids = [...counts.keys()];
    if (ids.length === 0) return;
    const cases = ids.map(() => 'WHEN ? THEN ?').join(' ');
    const params = ids.flatMap((id) => [id, counts.get(id)]);
    await this.work.manager.query(`UPDATE products SET views = views + CASE id ${cases} ELSE 0 END, updated_at = updated_at WHERE id IN (?)`, [...params, ids]);
  }
}
