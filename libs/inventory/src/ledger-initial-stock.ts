import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { InitialStockRecorder } from '@stockroom/catalog';
import { InventoryRepository } from './inventory.repository';

/** Puts the catalogue's initial stock into the ledger, in the catalogue's own transaction. */
@Injectable()
export class LedgerInitialStock extends InitialStockRecorder {
  constructor(private readonly inventory: InventoryRepository) {
    super();
  }

  async recordInitialStock(manager: EntityManager, productId: number, quantity: number): Promise<void> {
    await this.inventory.recordMovement(manager, {
      productId,
      type: 'adjustment',
      stockDelta: quantity,
      reservedDelta: 0,
      reason: 'initial stock',
    });
  }

  recordMissingInitialStock(manager: EntityManager, skus: string[]): Promise<void> {
    return this.inventory.recordInitialStockForSkus(manager, skus);
  }
}
