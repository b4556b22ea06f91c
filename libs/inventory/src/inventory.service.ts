import { Injectable } from '@nestjs/common';
import { InsertStamp, isOutOfRangeError, UnitOfWork } from '@stockroom/database';
import { LockService } from '@stockroom/lock';
import { ProductNotFoundError, ProductRepository, ProductStock, StockLevels } from '@stockroom/catalog';
import { InventoryRepository } from './inventory.repository';
import { InsufficientStockError, ShortLine, StaleFencingTokenError, StockOutOfRangeError } from './inventory.errors';
import { StockMovement } from './stock-movement.entity';

export interface StockLine {
  productId: number;
  quantity: number;
}

/** A group's reservations decided (InventoryService.allocate). */
export interface Allocation {
  /** Per request, in order: null when reserved, else why not. */
  decisions: Array<InsufficientStockError | ProductNotFoundError | null>;
  /** The price of every product found, read under the lock. */
  prices: Map<number, string>;
  /** For the group's inserts; undefined only when no product was found (nothing to insert). */
  stamp: InsertStamp | undefined;
}

export interface ChangeContext {
  reference?: string | null;
  actor?: string | null;
}

/** Lines of one product summed, in product-id order (every transaction locks rows in the same order). */
export function mergeLines(lines: StockLine[]): StockLine[] {
  const totals = new Map<number, number>();
  for (const line of lines) totals.set(line.productId, (totals.get(line.productId) ?? 0) + line.quantity);
  return [...totals.entries()].sort(([a], [b]) => a - b).map(([productId, quantity]) => ({ productId, quantity }));
}

@Injectable()
export class InventoryService {
  constructor(
    private readonly inventory: InventoryRepository,
    private readonly locks: LockService,
    private readonly products: ProductRepository,
    private readonly work: UnitOfWork,
    private readonly stock: ProductStock,
  ) {}

  /** Straight from MySQL: cached product reads never decide stock. */
  async levels(productId: number): Promise<StockLevels> {
    const levels = await this.stock.levels(productId);
    if (!levels) throw new ProductNotFoundError({ id: productId });
    return levels;
  }

  /** A clerk's stock change, under the product lock, fenced, with its movement, in one transaction. */
  adjust(productId: number, delta: number, reason: string, context: ChangeContext = {}): Promise<{ movement: StockMovement; levels: StockLevels }> {
    return this.locks.withLock(`product:${productId}`, (lease, signal) => {
      signal.throwIfAborted();
      return this.applyAdjustment(productId, delta, reason, lease.fencingToken, context);
    });
  }

  /**
   * The write itself: refused when a newer fencing token has been applied to the row (a holder
   * that lost its lock cannot write), or when stock would drop below what is reserved.
   */
  async applyAdjustment(
    productId: number,
    delta: number,
    reason: string,
    fencingToken: number,
    context: ChangeContext = {},
  ): Promise<{ movement: StockMovement; levels: StockLevels }> {
    const outcome = await this.work.run(async () => {
      if (!(await this.adjustRow(productId, delta, fencingToken))) {
        const levels = await this.stock.levels(productId);
        if (!levels) throw new ProductNotFoundError({ id: productId });
        if ((await this.stock.fenceOf(productId)) >= fencingToken) throw new StaleFencingTokenError(productId, fencingToken);
        throw new InsufficientStockError([{ productId, requested: -delta, available: levels.available }]);
      }
      const movement = await this.inventory.recordMovement({
        productId,
        type: 'adjustment',
        stockDelta: delta,
        reservedDelta: 0,
        reason,
        fencingToken,
        ...context,
      });
      return { movement, levels: (await this.stock.levels(productId)) as StockLevels };
    });
    await this.products.afterExternalWrites([{ id: productId, version: outcome.levels.version }]);
    return outcome;
  }

  /**
   * The purchase hot path: one guarded UPDATE per product, all in one transaction (the caller's,
   * when one is open), all or nothing. No Redis lock: MySQL's row locks order concurrent buyers.
   */
  reserveStock(lines: StockLine[], context: ChangeContext = {}): Promise<StockMovement[]> {
    return this.work.run(async () => {
      const merged = mergeLines(lines);
      const short: ShortLine[] = [];
      for (const line of merged) {
        if (await this.stock.reserve(line.productId, line.quantity)) continue;
        const levels = await this.stock.levels(line.productId);
        if (!levels) throw new ProductNotFoundError({ id: line.productId });
        short.push({ productId: line.productId, requested: line.quantity, available: levels.available });
      }
      if (short.length > 0) throw new InsufficientStockError(short);
      return this.record(merged, 'reservation', (q) => [0, q], context);
    });
  }

  /**
   * Group commit, in the caller's unit of work: decides a whole group of reservation requests at
   * once. Every product any of them names is locked and read in one statement; the requests are
   * then taken in arrival order, each filled completely from what is left or refused (its short
   * lines, or the product that does not exist), and the accepted totals are applied in one guarded
   * UPDATE. Per request: null (reserved; record it with `recordReservations`) or its error; with
   * the prices and the insert stamp the locking read returned.
   */
  async allocate(requests: StockLine[][]): Promise<Allocation> {
    if (!this.work.active) throw new Error('allocate runs inside a unit of work: its row locks must last until the group commits');
    const merged = requests.map(mergeLines);
    const { rows, stamp } = await this.stock.lockForReservation([...new Set(merged.flat().map((line) => line.productId))].sort((a, b) => a - b));
    const available = new Map([...rows].map(([id, row]) => [id, row.available]));
    const totals = new Map<number, number>();
    const decisions = merged.map((lines) => {
      const unknown = lines.find((line) => !available.has(line.productId));
      if (unknown) return new ProductNotFoundError({ id: unknown.productId });
      const short = lines
        .filter((line) => (available.get(line.productId) as number) < line.quantity)
        .map((line) => ({ productId: line.productId, requested: line.quantity, available: available.get(line.productId) as number }));
      if (short.length > 0) return new InsufficientStockError(short);
      for (const line of lines) {
        available.set(line.productId, (available.get(line.productId) as number) - line.quantity);
        totals.set(line.productId, (totals.get(line.productId) ?? 0) + line.quantity);
      }
      return null;
    });
    // The rows are locked and were read in this transaction: a refusal here means something else is wrong.
    if (!(await this.stock.reserveTotals(totals))) throw new Error('a locked product row refused the reservation it was read to allow');
    return { decisions, prices: new Map([...rows].map(([id, row]) => [id, row.price])), stamp };
  }

  /** Group commit: the ledger rows of accepted reservations, in one INSERT; each request's movements. */
  async recordReservations(entries: Array<{ lines: StockLine[]; context: ChangeContext }>, stamp: InsertStamp): Promise<StockMovement[][]> {
    const perEntry = entries.map(({ lines, context }) =>
      mergeLines(lines).map((line) => ({ productId: line.productId, type: 'reservation' as const, stockDelta: 0, reservedDelta: line.quantity, reason: 'reservation', ...context })),
    );
    const written = await this.inventory.recordMovements(perEntry.flat(), stamp);
    let next = 0;
    return perEntry.map((inputs) => written.slice(next, (next += inputs.length)));
  }

  /** Gives reserved units back (an order failed or expired). */
  releaseStock(lines: StockLine[], context: ChangeContext = {}): Promise<StockMovement[]> {
    return this.applyEach(lines, (l) => this.stock.release(l.productId, l.quantity), 'release', (q) => [0, -q], context);
  }

  /** Reserved units leave the shelf (an order was confirmed). */
  sellReserved(lines: StockLine[], context: ChangeContext = {}): Promise<StockMovement[]> {
    return this.applyEach(lines, (l) => this.stock.sell(l.productId, l.quantity), 'sale', (q) => [-q, -q], context);
  }

  /** One guarded statement per merged line, then the movements; a refused line undoes everything. */
  private applyEach(
    lines: StockLine[],
    apply: (line: StockLine) => Promise<boolean>,
    type: 'release' | 'sale',
    deltas: (quantity: number) => [number, number],
    context: ChangeContext,
  ): Promise<StockMovement[]> {
    return this.work.run(async () => {
      const merged = mergeLines(lines);
      for (const line of merged) {
        if (!(await apply(line))) throw new InsufficientStockError([{ productId: line.productId, requested: line.quantity, available: null }]);
      }
      return this.record(merged, type, deltas, context);
    });
  }

  /**
   * After a caller's own transaction changed stock (a sale): the commit announces the products it
   * touched once, with their new versions (one read for all of them), and the catalogue retires
   * each cached copy once and the list pages once; product responses show `stock`.
   */
  async afterStockCommitted(productIds: number[]): Promise<void> {
    await this.products.afterExternalWrites(await this.stock.versionsOf([...new Set(productIds)]));
  }

  private async adjustRow(productId: number, delta: number, fencingToken: number): Promise<boolean> {
    try {
      return await this.stock.adjust(productId, delta, fencingToken);
    } catch (error) {
      if (isOutOfRangeError(error)) throw new StockOutOfRangeError(productId, delta);
      throw error;
    }
  }

  movements(productId: number, page: number, limit: number) {
    return this.inventory.movements(productId, page, limit);
  }

  private async record(
    lines: StockLine[],
    type: 'reservation' | 'release' | 'sale',
    deltas: (quantity: number) => [number, number],
    context: ChangeContext,
  ): Promise<StockMovement[]> {
    const movements: StockMovement[] = [];
    for (const line of lines) {
      const [stockDelta, reservedDelta] = deltas(line.quantity);
      movements.push(await this.inventory.recordMovement({ productId: line.productId, type, stockDelta, reservedDelta, reason: type, ...context }));
    }
    return movements;
  }
}
