import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isDuplicateKeyError, isOutOfRangeError, onPrimary, UnitOfWork } from '@stockroom/database';
import { StockMovement, MovementType } from './stock-movement.entity';
import { DuplicateRequestError } from '@stockroom/idempotency';
import { StockOutOfRangeError } from './inventory.errors';

export interface StockLevels {
  productId: number;
  stock: number;
  reserved: number;
  available: number;
  version: number;
}

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
 * Every statement on stock. Each change is one guarded UPDATE (the WHERE clause is the rule), so
 * MySQL's row lock serialises writers and no read-then-write happens in Node.
 */
@Injectable()
export class InventoryRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly work: UnitOfWork,
  ) {}

  /** Runs one guarded UPDATE in the open unit of work; true when it changed the row (its WHERE clause held). */
  private async changesOneRow(sql: string, params: unknown[]): Promise<boolean> {
    const result = (await this.work.manager.query(sql, params)) as { affectedRows: number };
    return result.affectedRows === 1;
  }

  async levels(productId: number): Promise<StockLevels | null> {
    const rows = (await this.work.manager.query('SELECT id, stock, reserved, version FROM products WHERE id = ?', [productId])) as Array<{
      id: number;
      stock: number;
      reserved: number;
      version: number;
    }>;
    const row = rows[0];
    return row ? { productId: row.id, stock: row.stock, reserved: row.reserved, available: row.stock - row.reserved, version: row.version } : null;
  }

  /** The current row versions of several products, in one query (what a commit that changed them left). */
  async versionsOf(productIds: number[]): Promise<Array<{ id: number; version: number }>> {
    if (productIds.length === 0) return [];
    const rows = (await this.dataSource.query('SELECT id, version FROM products WHERE id IN (?)', [productIds])) as Array<{ id: number; version: number }>;
    return rows.map((row) => ({ id: Number(row.id), version: Number(row.version) }));
  }

  /** On hand += delta unless it would go below what is reserved, or a newer fencing token was applied. */
  async adjustStock(productId: number, delta: number, fencingToken: number): Promise<boolean> {
    try {
      return await this.changesOneRow(
        'UPDATE products SET stock = stock + ?, fence = ?, version = version + 1 WHERE id = ? AND fence < ? AND stock + ? >= reserved',
        [delta, fencingToken, productId, fencingToken, delta],
      );
    } catch (error) {
      if (isOutOfRangeError(error)) throw new StockOutOfRangeError(productId, delta);
      throw error;
    }
  }

  async fenceOf(productId: number): Promise<number> {
    const rows = (await this.work.manager.query('SELECT fence FROM products WHERE id = ?', [productId])) as Array<{ fence: string | number }>;
    return Number(rows[0]?.fence ?? 0);
  }

  /** The purchase hot path: reserve `quantity` only if that much is still available. */
  async reserve(productId: number, quantity: number): Promise<boolean> {
    return this.changesOneRow('UPDATE products SET reserved = reserved + ? WHERE id = ? AND stock - reserved >= ?', [
      quantity,
      productId,
      quantity,
    ]);
  }

  async release(productId: number, quantity: number): Promise<boolean> {
    return this.changesOneRow('UPDATE products SET reserved = reserved - ? WHERE id = ? AND reserved >= ?', [
      quantity,
      productId,
      quantity,
    ]);
  }

  /** A reservation becomes a sale: it leaves the shelf and the reservation together. */
  async sell(productId: number, quantity: number): Promise<boolean> {
    return this.changesOneRow(
      'UPDATE products SET stock = stock - ?, reserved = reserved - ?, version = version + 1 WHERE id = ? AND reserved >= ? AND stock >= ?',
      [quantity, quantity, productId, quantity, quantity],
    );
  }

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
    const rows = (await this.dataSource.query(`
      SELECT p.id AS productId, p.stock, p.reserved,
             CAST(COALESCE(SUM(m.stock_delta), 0) AS SIGNED) AS ledgerStock,
             CAST(COALESCE(SUM(m.reserved_delta), 0) AS SIGNED) AS ledgerReserved
      FROM products p LEFT JOIN stock_movements m ON m.product_id = p.id
      GROUP BY p.id, p.stock, p.reserved
      HAVING ledgerStock <> p.stock OR ledgerReserved <> p.reserved
    `)) as Array<Record<string, string | number>>;
    return rows.map((r) => ({
      productId: Number(r.productId),
      stock: Number(r.stock),
      reserved: Number(r.reserved),
      ledgerStock: Number(r.ledgerStock),
      ledgerReserved: Number(r.ledgerReserved),
    }));
  }

  async recordInitialStockForSkus(skus: string[]): Promise<void> {
    if (skus.length === 0) return;
    await this.work.manager.query(
      `INSERT INTO stock_movements (product_id, type, stock_delta, reserved_delta, reason)
       SELECT p.id, 'adjustment', p.stock, 0, 'initial stock' FROM products p
       WHERE p.sku IN (?) AND p.stock <> 0
         AND NOT EXISTS (SELECT 1 FROM stock_movements m WHERE m.product_id = p.id)`,
      [skus],
    );
  }
}
