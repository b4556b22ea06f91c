import { Injectable, OnModuleInit } from '@nestjs/common';
import { InitialStockRecorder, ProductRepository, ProductStock } from '@stockroom/catalog';
import { InventoryRepository } from './inventory.repository';

/** Puts the catalogue's initial stock into the ledger, in the catalogue's own transaction. */
@Injectable()
export class LedgerInitialStock extends InitialStockRecorder implements OnModuleInit {
  constructor(
    private readonly inventory: InventoryRepository,
    private readonly products: ProductRepository,
    private readonly stock: ProductStock,
  ) {
    super();
  }

  onModuleInit(): void {
    this.products.recordInitialStockWith(this);
  }

  async recordInitialStock(productId: number, quantity: number): Promise<void> {
    await this.inventory.recordMovement({
      productId,
      type: 'adjustment',
      stockDelta: quantity,
      reservedDelta: 0,
      reason: 'initial stock',
    });
  }

  async recordMissingInitialStock(skus: string[]): Promise<void> {
    await this.inventory.recordInitialStock(await this.stock.stockOfSkus(skus));
  }
}
