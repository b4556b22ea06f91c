import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { InsertStamp, isDuplicateKeyError, onPrimary, UnitOfWork } from '@stockroom/database';
import { ProductStock } from '@stockroom/catalog';
import { StockMovement, MovementType } from './stock-movement.entity';
import { DuplicateRequestError } from '@stockroom/idempotency';

export interface MovementInput {
  productId: number;
  type: MovementType;
  stockDelta: number;
  reservedDelta: number;
  reason: string;
  reference?: string | null;
  actor?: string | null;
  fencingToken?: number | null;
}

/** A movement with this reference, product and type exists: the change was applied before. */
export class DuplicateMovementError extends DuplicateRequestError {}

/**
 * The stock ledger (`stock_movements`, this lib's table). The stock columns themselves are the
 * catalogue's (`ProductStock`); the ledger's invariant check reads them through it.
 */
@Injectable()
export class InventoryRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly work: UnitOfWork,
    private readonly stock: ProductStock,
  ) {}

  async recordMovement(input: MovementInput): Promise<StockMovement> {
    const { manager } = this.work;
    try {
      const movement = manager.create(StockMovement, {
        reference: null,
        actor: null,
        fencingToken: null,
        ...input,
      });
      return await manager.save(StockMovement, movement);
    } catch (error) {
      if (isDuplicateKeyError(error, 'UQ_stock_movements_reference')) throw new DuplicateMovementError();
      throw error;
    }
  }

  /** Many movements in one INSERT, stamped with the transaction's clock; what was written, ids included, without reading it back. */
  async recordMovements(inputs: MovementInput[], stamp: InsertStamp): Promise<StockMovement[]> {
    if (inputs.length === 0) return [];
    const movements = inputs.map((input) => ({ reference: null, actor: null, fencingToken: null, ...input, createdAt: stamp.now }));
    let result: { insertId: number | string };
    try {
      result = (await this.work.manager.query(
        'INSERT INTO stock_movements (product_id, type, stock_delta, reserved_delta, reason, reference, actor, fencing_token, created_at) VALUES ?',
        [movements.map((m) => [m.productId, m.type, m.stockDelta, m.reservedDelta, m.reason, m.reference, m.actor, m.fencingToken, m.createdAt])],
      )) as { insertId: number | string };
    } catch (error) {
      if (isDuplicateKeyError(error, 'UQ_stock_movements_reference')) throw new DuplicateMovementError();
      throw error;
    }
    const first = Number(result.insertId);
    return movements.map((movement, index) => Object.assign(new StockMovement(), movement, { id: first + index * stamp.idStep }));
  }

  // Ledger reads are on the primary, like every inventory read: an idempotent retry recovers the
  // movement another request has just committed, and staff see the adjustment they just made.
  findMovement(productId: number, type: MovementType, reference: string): Promise<StockMovement | null> {
    return onPrimary(this.dataSource, (m) => m.findOneBy(StockMovement, { productId, type, reference }));
  }

  findMovementsByReference(reference: string, type: MovementType): Promise<StockMovement[]> {
    return onPrimary(this.dataSource, (m) => m.find(StockMovement, { where: { reference, type }, order: { productId: 'ASC' } }));
  }

  async movements(productId: number, page: number, limit: number): Promise<{ items: StockMovement[]; total: number }> {
    const [items, total] = await onPrimary(this.dataSource, (m) =>
      m.findAndCount(StockMovement, { where: { productId }, order: { id: 'DESC' }, skip: (page - 1) * limit, take: limit }),
    );
    return { items, total };
  }

  /** For the invariant check: per product, the ledger's sums against the row. */
  async ledgerMismatches(): Promise<Array<{ productId: number; stock: number; reserved: number; ledgerStock: number; ledgerReserved: number }>> {
    const sums = (await this.work.manager.query(
      'SELECT product_id AS productId, CAST(SUM(stock_delta) AS SIGNED) AS ledgerStock, CAST(SUM(reserved_delta) AS SIGNED) AS ledgerReserved FROM stock_movements GROUP BY product_id',
    )) as Array<Record<string, string | number>>;
    const ledger = new Map(sums.map((row) => [Number(row.productId), { stock: Number(row.ledgerStock), reserved: Number(row.ledgerReserved) }]));
    return (await this.stock.allLevels()).flatMap(({ productId, stock, reserved }) => {
      const { stock: ledgerStock, reserved: ledgerReserved } = ledger.get(productId) ?? { stock: 0, reserved: 0 };
      return ledgerStock !== stock || ledgerReserved !== reserved ? [{ productId, stock, reserved, ledgerStock, ledgerReserved }] : [];
    });
  }

  /**
   * After a bulk load, in its unit of work: an initial-stock movement for each of these products
   * that has none yet. The existing ones are read with shared locks, as INSERT … SELECT would, so
   * two loads of the same SKUs at once conflict in InnoDB (one is retried) instead of both recording.
   */
  async recordInitialStock(products: Array<{ productId: number; stock: number }>): Promise<void> {
    const stocked = products.filter((product) => product.stock !== 0);
    if (stocked.length === 0) return;
    const { manager } = this.work;
    const existing = (await manager.query('SELECT DISTINCT product_id FROM stock_movements WHERE product_id IN (?) LOCK IN SHARE MODE', [
      stocked.map((product) => product.productId),
    ])) as Array<{ product_id: number }>;
    const recorded = new Set(existing.map((row) => Number(row.product_id)));
    const missing = stocked.filter((product) => !recorded.has(product.productId));
    if (missing.length === 0) return;
    await manager.query('INSERT INTO stock_movements (product_id, type, stock_delta, reserved_delta, reason) VALUES ?', [
      missing.map((product) => [product.productId, 'adjustment', product.stock, 0, 'initial stock']),
    ]);
  }
}
