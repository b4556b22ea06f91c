import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CatalogCoreModule } from '@stockroom/catalog';
import { UnitOfWork } from '@stockroom/database';
import { IdempotencyModule } from '@stockroom/idempotency';
import { StockMovement } from './stock-movement.entity';
import { InventoryRepository } from './inventory.repository';
import { InventoryService } from './inventory.service';
import { InventoryController } from './inventory.controller';
import { LedgerInitialStock } from './ledger-initial-stock';
import { IntakeMetrics } from './intake-metrics';
import { ReservationIntake } from './reservation-intake';

/**
 * Stock and its ledger without HTTP (the worker, orders and the CLI need no more). It plugs the
 * ledger into the catalogue's initial-stock port when it starts, so the catalogue never imports it.
 */
@Module({
  imports: [TypeOrmModule.forFeature([StockMovement]), CatalogCoreModule],
  providers: [InventoryRepository, InventoryService, LedgerInitialStock, UnitOfWork, IntakeMetrics, ReservationIntake],
  exports: [InventoryService, InventoryRepository, IntakeMetrics, ReservationIntake],
})
export class InventoryCoreModule {}

/** `/inventory`: levels, adjustments, reservations, the ledger. */
@Module({
  imports: [InventoryCoreModule, IdempotencyModule],
  controllers: [InventoryController],
  exports: [InventoryCoreModule],
})
export class InventoryModule {}
