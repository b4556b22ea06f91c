import { Injectable } from '@nestjs/common';
import { InsertStamp, UnitOfWork } from '@stockroom/database';

/** A product's stock as its row holds it. */
export interface StockLevels {
  productId: number;
  stock: number;
  reserved: number;
  available: number;
  version: number;
}

/**
 * The stock columns of `products` (stock, reserved, the fencing token, the version they bump),
 * for the inventory lib: the catalogue owns the table, so every statement on it is here, and
 * inventory decides what to apply and keeps the ledger. Each change is one guarded UPDATE (the
 * WHERE clause is the rule), run in the caller's unit of work, so MySQL's row lock serialises
 * writers and no read-then-write happens in Node. The SQL is what inventory ran before #13.
 */
@Injectable()
export class ProductStock {
  constructor(private readonly work: UnitOfWork) {}

  async levels(productId: number): Promise<StockLevels | null> {
    return (await this.levelsWhere('WHERE id = ?', [productId]))[0] ?? null;
  }

  /** Every product's levels, for the ledger's invariant check. */
  allLevels(): Promise<StockLevels[]> {
    return this.levelsWhere('', []);
  }

  private async levelsWhere(condition: string, params: unknown[]): Promise<StockLevels[]> {
    const rows = (await this.work.manager.query(`SELECT id, stock, reserved, version FROM products ${condition}`, params)) as Array<Record<string, number | string>>;
    return rows.map((row) => ({
      productId: Number(row.id),
      stock: Number(row.stock),
      reserved: Number(row.reserved),
      available: Number(row.stock) - Number(row.reserved),
      version: Number(row.version),
    }));
  }

  /** Id and stock of the products with these SKUs (a bulk load's initial stock). */
  async stockOfSkus(skus: string[]): Promise<Array<{ productId: number; stock: number }>> {
    if (skus.length === 0) return [];
    const rows = (await this.work.manager.query('SELECT id, stock FROM products WHERE sku IN (?)', [skus])) as Array<{ id: number; stock: number }>;
    return rows.map((row) => ({ productId: Number(row.id), stock: Number(row.stock) }));
  }

  /** The current row versions of several products, in one query (what a commit that changed them left). */
  async versionsOf(productIds: number[]): Promise<Array<{ id: number; version: number }>> {
    if (productIds.length === 0) return [];
    const rows = (await this.work.manager.query('SELECT id, version FROM products WHERE id IN (?)', [productIds])) as Array<{ id: number; version: number }>;
    return rows.map((row) => ({ id: Number(row.id), version: Number(row.version) }));
  }

  /** On hand += delta unless it would go below what is reserved, or a newer fencing token was applied. Throws MySQL's out-of-range error past INT. */
  adjust(productId: number, delta: number, fencingToken: number): Promise<boolean> {
    return this.changesOneRow('UPDATE products SET stock = stock + ?, fence = ?, version = version + 1 WHERE id = ? AND fence < ? AND stock + ? >= reserved', [
      delta,
      fencingToken,
      productId,
      fencingToken,
      delta,
    ]);
  }

  async fenceOf(productId: number): Promise<number> {
    const rows = (await this.work.manager.query('SELECT fence FROM products WHERE id = ?', [productId])) as Array<{ fence: string | number }>;
    return Number(rows[0]?.fence ?? 0);
  }

  /** The purchase hot path: reserve `quantity` only if that much is still available. */
  reserve(productId: number, quantity: number): Promise<boolean> {
    return this.changesOneRow('UPDATE products SET reserved = reserved + ? WHERE id = ? AND stock - reserved >= ?', [quantity, productId, quantity]);
  }

  /**
   * Group commit: locks these products' rows (ascending id, the order every writer locks in) and
   * reads, in the same statement, what each still has available and its price, and the
   * transaction's insert stamp. A product that does not exist is absent; with none found, no stamp.
   */
  async lockForReservation(productIds: number[]): Promise<{ rows: Map<number, { available: number; price: string }>; stamp: InsertStamp | undefined }> {
    if (productIds.length === 0) return { rows: new Map(), stamp: undefined };
    const rows = (await this.work.manager.query(
      'SELECT id, stock - reserved AS available, price, CURRENT_TIMESTAMP(3) AS now, @@session.auto_increment_increment AS step FROM products WHERE id IN (?) ORDER BY id FOR UPDATE',
      [productIds],
    )) as Array<{ id: number; available: number | string; price: string; now: Date; step: number | string }>;
    return {
      rows: new Map(rows.map((row) => [Number(row.id), { available: Number(row.available), price: row.price }])),
      stamp: rows[0] && { now: rows[0].now, idStep: Number(rows[0].step) },
    };
  }

  /**
   * Group commit: each product's total for the batch in one statement, every row still guarded by
   * `stock - reserved >= its total`; true only when every row took its total.
   */
  async reserveTotals(totals: Map<number, number>): Promise<boolean> {
    if (totals.size === 0) return true;
    const cases = [...totals].map(() => 'WHEN ? THEN ?').join(' ');
    const pairs = [...totals].flat();
    const result = (await this.work.manager.query(
      `UPDATE products SET reserved = reserved + CASE id ${cases} END WHERE id IN (?) AND stock - reserved >= CASE id ${cases} END`,
      [...pairs, [...totals.keys()], ...pairs],
    )) as { affectedRows: number };
    return result.affectedRows === totals.size;
  }

  release(productId: number, quantity: number): Promise<boolean> {
    return this.changesOneRow('UPDATE products SET reserved = reserved - ? WHERE id = ? AND reserved >= ?', [quantity, productId, quantity]);
  }

  /** A reservation becomes a sale: it leaves the shelf and the reservation together. */
  sell(productId: number, quantity: number): Promise<boolean> {
    return this.changesOneRow(
      'UPDATE products SET stock = stock - ?, reserved = reserved - ?, version = version + 1 WHERE id = ? AND reserved >= ? AND stock >= ?',
      [quantity, quantity, productId, quantity, quantity],
    );
  }

  /** Runs one guarded UPDATE; true when it changed the row (its WHERE clause held). */
  private async changesOneRow(sql: string, params: unknown[]): Promise<boolean> {
    const result = (await this.work.manager.query(sql, params)) as { affectedRows: number };
    return result.affectedRows === 1;
  }
}
