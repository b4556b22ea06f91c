import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@stockroom/core';
import { ProductRepository } from './product.repository';
import { sampleProducts } from './sample-catalog';

export const BOOT_SAMPLE_SIZE = 50;
const BATCH = 1_000;

@Injectable()
export class CatalogSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger('CatalogSeeder');

  constructor(
    private readonly config: AppConfig,
    private readonly products: ProductRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.catalog.sampleOnEmpty || !(await this.products.isEmpty())) return;
    const inserted = await this.seed(BOOT_SAMPLE_SIZE);
    this.logger.log(`catalogue was empty: loaded ${inserted} sample products`);
  }

  /** Ensures sample products 1..count exist; returns how many were inserted now. */
  async seed(count: number, onProgress?: (done: number) => void): Promise<number> {
    let inserted = 0;
    for (let from = 1; from <= count; from += BATCH) {
      // Instances seeding at once can deadlock on the same rows: the unit of work runs the victim again.
      inserted += await this.products.insertIgnoringExisting(sampleProducts(from, Math.min(BATCH, count - from + 1)));
      onProgress?.(Math.min(from + BATCH - 1, count));
    }
    return inserted;
  }
}
