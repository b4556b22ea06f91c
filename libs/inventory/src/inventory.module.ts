import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CatalogCoreModule, InitialStockRecorder } from '@stockroom/catalog';
import { StockMovement } from './stock-movement.entity';
import { InventoryRepository } from './inventory.repository';
import { InventoryService } from './inventory.service';
import { InventoryController } from './inventory.controller';
import { IdempotencyService } from './idempotency.service';
import { LedgerInitialStock } from './ledger-initial-stock';

/** Global so the catalogue can find the ledger port without importing inventory (which imports it). */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([StockMovement]), CatalogCoreModule],
  controllers: [InventoryController],
  providers: [InventoryRepository, InventoryService, IdempotencyService, { provide: InitialStockRecorder, useClass: LedgerInitialStock }],
  exports: [InventoryService, InventoryRepository, IdempotencyService, InitialStockRecorder],
})
export class InventoryModule {}
