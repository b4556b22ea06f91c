import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { AppConfig } from '@stockroom/core';
import { GroupCommit, Outcome, UnitOfWork } from '@stockroom/database';
import { ChangeContext, InventoryService, StockLine } from './inventory.service';
import { StockMovement } from './stock-movement.entity';
import { IntakeMetrics } from './intake-metrics';

interface Claim {
  lines: StockLine[];
  context: ChangeContext;
}

/**
 * `POST /inventory/reservations` by group commit (INTAKE_MODE=batched): concurrent reservations
 * are decided and written together in one transaction (one locking read, one guarded UPDATE, one
 * ledger INSERT), each still all or nothing. `per-order`, or a caller already in a transaction,
 * takes InventoryService.reserveStock as before.
 */
@Injectable()
export class ReservationIntake implements BeforeApplicationShutdown {
  private readonly group: GroupCommit<Claim, StockMovement[]>;

  constructor(
    private readonly inventory: InventoryService,
    private readonly work: UnitOfWork,
    private readonly config: AppConfig,
    metrics: IntakeMetrics,
  ) {
    this.group = new GroupCommit(
      config.intake,
      { group: (claims) => this.work.run(() => this.write(claims)), single: (claim) => this.inventory.reserveStock(claim.lines, claim.context) },
      metrics.track('reservation', () => this.group.pending),
    );
  }

  reserve(lines: StockLine[], context: ChangeContext = {}): Promise<StockMovement[]> {
    if (this.config.intake.mode === 'per-order' || this.work.active) return this.inventory.reserveStock(lines, context);
    return this.group.submit({ lines, context });
  }

  /** Reservations waiting for their group are written before the database closes. */
  beforeApplicationShutdown(): Promise<void> {
    return this.group.drain();
  }

  private async write(claims: Claim[]): Promise<Array<Outcome<StockMovement[]>>> {
    const { decisions, stamp } = await this.inventory.allocate(claims.map((claim) => claim.lines));
    const accepted = claims.filter((_, index) => decisions[index] === null);
    const movements = stamp ? await this.inventory.recordReservations(accepted, stamp) : [];
    let next = 0;
    return decisions.map((error) => (error ? { error } : { value: movements[next++] }));
  }
}
